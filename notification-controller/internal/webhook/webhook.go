// Package webhook authenticates and reads the webhook requests a Receiver accepts, one
// function per sender (GitHub, GitLab, Bitbucket Server, Harbor, Docker Hub, Quay, Google
// Artifact Registry, Nexus, Azure Container Registry, CDEvents and the generic kinds),
// written from each sender's public webhook documentation. It decides whether a request is
// genuine and whether to act on it; it knows nothing of Kubernetes. Secrets are compared in
// constant time and never appear in errors.
package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
)

// MaxBody is the largest request body a Receiver reads.
const MaxBody = 2 << 20

var (
	// ErrUnauthorized means the request is not from the sender the Receiver trusts: a missing
	// or wrong signature or token. The server answers 401.
	ErrUnauthorized = errors.New("the request is not authenticated")
	// ErrBadRequest means the request is authentic (or needs no authentication) but its
	// payload is not what the sender sends. The server answers 400.
	ErrBadRequest = errors.New("the payload is not valid")
)

// Request is a webhook request: its headers and its body, already read within MaxBody.
type Request struct {
	// Header holds the request's headers.
	Header http.Header
	// Body is the raw body.
	Body []byte
}

// Secret is what a Receiver's Secret holds.
type Secret struct {
	// Token is the 'token' key: the shared secret of signatures and token headers.
	Token string
	// Email and Audience are the gcr type's 'email' and 'audience' keys.
	Email, Audience string
}

// Verdict is what to do with a genuine request.
type Verdict struct {
	// Act is true when the listed objects are to be reconciled; false for pings and for
	// events spec.events leaves out, which are answered 200 and otherwise ignored.
	Act bool
	// Event is the sender's event type, when it has one.
	Event string
	// Payload is the body as JSON, for resource filters ("req"); empty when it is not JSON.
	Payload map[string]any
}

// Options are the settings of the checks that reach the outside.
type Options struct {
	// GoogleKeys verifies the ID tokens of Google Pub/Sub push requests (gcr).
	GoogleKeys *KeySet
}

// validators check one type each.
var validators = map[string]func(r Request, s Secret, events []string, o Options) (Verdict, error){
	notificationv1.GenericReceiver:     generic,
	notificationv1.GenericHMACReceiver: genericHMAC,
	notificationv1.GitHubReceiver:      github,
	notificationv1.GitLabReceiver:      gitlab,
	notificationv1.BitbucketReceiver:   bitbucket,
	notificationv1.HarborReceiver:      harbor,
	notificationv1.DockerHubReceiver:   dockerhub,
	notificationv1.QuayReceiver:        quay,
	notificationv1.GCRReceiver:         gcr,
	notificationv1.NexusReceiver:       nexus,
	notificationv1.ACRReceiver:         acr,
	notificationv1.CDEventsReceiver:    cdevents,
}

// Supported tells whether Ferry implements a Receiver type.
func Supported(typ string) bool {
	_, ok := validators[typ]
	return ok
}

// Validate checks r as a request of the Receiver type typ with its Secret and spec.events.
// The error wraps ErrUnauthorized or ErrBadRequest.
func Validate(typ string, r Request, s Secret, events []string, o Options) (Verdict, error) {
	v, ok := validators[typ]
	if !ok {
		return Verdict{}, fmt.Errorf("receiver type %q is not supported: %w", typ, ErrBadRequest)
	}
	return v(r, s, events, o)
}

// filtered returns the verdict for an event of type event: act unless spec.events lists
// types and event is not one of them.
func filtered(event string, events []string, payload map[string]any) Verdict {
	return Verdict{Act: len(events) == 0 || slices.Contains(events, event), Event: event, Payload: payload}
}

// jsonPayload decodes a JSON object body; a body that is not one is a bad request.
func jsonPayload(body []byte) (map[string]any, error) {
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil || p == nil {
		return nil, fmt.Errorf("the body is not a JSON object: %w", ErrBadRequest)
	}
	return p, nil
}

// optionalJSON decodes the body when it is a JSON object, and returns nil otherwise.
func optionalJSON(body []byte) map[string]any {
	var p map[string]any
	if json.Unmarshal(body, &p) != nil {
		return nil
	}
	return p
}

// equalSecret compares a presented secret with the expected one in constant time.
func equalSecret(presented, expected string) bool {
	return expected != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(expected)) == 1
}

// hashes are the hash functions HMAC signatures may name.
var hashes = map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}

// verifyHMAC checks a "<hash>=<hex>" signature of body made with token; allowed limits the
// hash functions the sender uses.
func verifyHMAC(signature string, body []byte, token string, allowed ...string) error {
	algo, sum, ok := strings.Cut(signature, "=")
	newHash, known := hashes[algo]
	if !ok || !known || !slices.Contains(allowed, algo) {
		return fmt.Errorf("missing or malformed signature: %w", ErrUnauthorized)
	}
	return verifyHex(newHash, sum, body, token)
}

// verifyHex checks a hex HMAC of body made with token and newHash.
func verifyHex(newHash func() hash.Hash, sum string, body []byte, token string) error {
	got, err := hex.DecodeString(sum)
	if err != nil || token == "" {
		return fmt.Errorf("malformed signature: %w", ErrUnauthorized)
	}
	mac := hmac.New(newHash, []byte(token))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("the signature does not match: %w", ErrUnauthorized)
	}
	return nil
}
