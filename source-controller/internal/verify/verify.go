// Package verify checks the signatures of OCI artifacts (OCIRepository artifacts and Helm
// charts of OCI HelmRepositories) before source-controller stores anything of them: cosign
// signatures with cosign's own verification (public keys, or keyless certificates checked
// offline against a Sigstore trusted root), and Notary Project signatures with notation-go and
// a trust policy. Signatures are read from the registry with go-containerregistry, as the
// artifact is. Nothing here knows about Kubernetes.
package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Errors the verifiers wrap, for callers to tell a bad artifact from bad settings.
var (
	// ErrNotVerified marks an artifact that has no signature the trusted material verifies:
	// unsigned, signed by another key or identity, or signed for another artifact.
	ErrNotVerified = errors.New("no valid signature")
	// ErrInvalidConfig marks trusted material that cannot be used: a public key, trusted root,
	// trust policy or certificate that does not parse, or an identity that is not a regular
	// expression.
	ErrInvalidConfig = errors.New("invalid verification settings")
)

// Registry says how a verifier reaches the registry of the artifacts it checks: the same
// credentials, TLS, proxy and plain-HTTP setting as the artifact's own pulls.
type Registry struct {
	// Remote are the go-containerregistry options of requests (transport, credentials).
	Remote []remote.Option
	// Name are the options to parse references (plain HTTP for insecure registries).
	Name []name.Option
}

// Outcome is what a verification found.
type Outcome struct {
	// Verified is true when a trusted signature of the artifact was found. It is false (with
	// no error) only when the trust policy asks not to enforce verification (a notation
	// policy of level skip, audit or permissive whose authenticity check failed).
	Verified bool
	// Detail says how: the key, identity or trust policy that verified the signature, or why
	// the outcome was not enforced.
	Detail string
}

// Verifier checks the signatures of artifacts.
type Verifier interface {
	// Verify checks the signatures of the artifact ref names by digest. A failure wraps
	// ErrNotVerified (or ErrInvalidConfig); it may also be a registry error.
	Verify(ctx context.Context, ref name.Digest) (Outcome, error)
}

// notVerified wraps ErrNotVerified around the reasons of a failed verification, on one line
// (joined errors and library messages may span several) so that it reads well in a condition.
func notVerified(reasons ...error) error {
	msgs := make([]string, 0, len(reasons))
	for _, r := range reasons {
		for _, line := range strings.Split(r.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				msgs = append(msgs, line)
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrNotVerified, strings.Join(msgs, "; "))
}
