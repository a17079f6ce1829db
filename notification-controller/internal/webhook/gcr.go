package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// GoogleCertsURL is where Google publishes the keys that sign its ID tokens.
const GoogleCertsURL = "https://www.googleapis.com/oauth2/v3/certs"

// googleIssuers are the issuers of Google ID tokens.
var googleIssuers = []string{"accounts.google.com", "https://accounts.google.com"}

// KeySet holds the public keys of an issuer's JSON Web Key Set, fetched from a URL and
// fetched again when they are an hour old or a token names a key the set lacks (at most
// once every ten seconds).
type KeySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    jose.JSONWebKeySet
	fetched time.Time
}

// NewKeySet returns the key set published at url.
func NewKeySet(url string, client *http.Client) *KeySet {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &KeySet{url: url, client: client, now: time.Now}
}

// SetNow replaces the clock the set ages its keys by (for tests).
func (k *KeySet) SetNow(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// URL returns where the key set is published.
func (k *KeySet) URL() string { return k.url }

// Key returns the key kid, fetching the set when needed. An unknown key is an error
// wrapping ErrUnauthorized; a set that cannot be fetched is another error.
func (k *KeySet) Key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	age := k.now().Sub(k.fetched)
	found := k.keys.Key(kid)
	if (len(found) == 0 && age > 10*time.Second) || age > time.Hour {
		if err := k.fetch(ctx); err != nil && len(found) == 0 {
			return nil, err
		}
		found = k.keys.Key(kid)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("the token's signing key is unknown: %w", ErrUnauthorized)
	}
	return &found[0], nil
}

func (k *KeySet) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("failed to fetch the signing keys: %w", err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("failed to fetch the signing keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("failed to fetch the signing keys: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("failed to read the signing keys: %w", err)
	}
	k.keys, k.fetched = set, k.now()
	return nil
}

// googleClaims are the claims of a Pub/Sub push ID token Ferry checks.
type googleClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// gcr checks the Google-signed ID token a Pub/Sub push subscription sends (Authorization:
// Bearer): its signature, issuer, expiry, audience (the Secret's 'audience') and service
// account email (the Secret's 'email'); then reads the Artifact Registry or Container
// Registry notification in the message and acts on an INSERT.
func gcr(r Request, s Secret, _ []string, o Options) (Verdict, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || o.GoogleKeys == nil || s.Audience == "" || s.Email == "" {
		return Verdict{}, fmt.Errorf("missing bearer token: %w", ErrUnauthorized)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return Verdict{}, fmt.Errorf("malformed ID token: %w", ErrUnauthorized)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key, err := o.GoogleKeys.Key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return Verdict{}, err
	}
	var std jwt.Claims
	var google googleClaims
	if err := tok.Claims(key, &std, &google); err != nil {
		return Verdict{}, fmt.Errorf("the ID token's signature does not verify: %w", ErrUnauthorized)
	}
	err = std.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{s.Audience}, Time: o.GoogleKeys.now()}, time.Minute)
	if err != nil || !slices.Contains(googleIssuers, std.Issuer) || !google.EmailVerified || !equalSecret(google.Email, s.Email) {
		return Verdict{}, fmt.Errorf("the ID token is not for this receiver: %w", ErrUnauthorized)
	}
	return gcrMessage(r.Body)
}

// gcrMessage reads a Pub/Sub push body whose message data is a registry notification.
func gcrMessage(body []byte) (Verdict, error) {
	var push struct {
		Message struct {
			Data string `json:"data"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	payload, err := fieldsPresent(body, &push, func() bool { return push.Message.Data != "" }, "Pub/Sub push")
	if err != nil {
		return Verdict{}, err
	}
	data, err := base64.StdEncoding.DecodeString(push.Message.Data)
	if err != nil {
		return Verdict{}, fmt.Errorf("the message data is not base64: %w", ErrBadRequest)
	}
	var n struct {
		Action string `json:"action"`
		Tag    string `json:"tag"`
		Digest string `json:"digest"`
	}
	if err := json.Unmarshal(data, &n); err != nil || n.Action == "" || (n.Tag == "" && n.Digest == "") {
		return Verdict{}, fmt.Errorf("the message is not a registry notification: %w", ErrBadRequest)
	}
	return Verdict{Act: n.Action == "INSERT", Event: n.Action, Payload: payload}, nil
}
