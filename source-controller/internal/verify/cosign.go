package verify

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"regexp"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PublicKey is a trusted cosign public key.
type PublicKey struct {
	// Name says where the key came from (its Secret key), for messages.
	Name string
	// PEM is the PEM-encoded public key, as `cosign generate-key-pair` writes cosign.pub.
	PEM []byte
}

// Identity accepts the keyless signatures whose certificate matches it.
type Identity struct {
	// Issuer is a Go regular expression the certificate's OIDC issuer must match.
	Issuer string
	// Subject is a Go regular expression the certificate's identity (its subject
	// alternative name: an email, a URI such as a workflow's) must match.
	Subject string
}

// Cosign verifies cosign signatures: the signatures cosign 2 attaches under the
// sha256-<digest>.sig tag, and the Sigstore bundles cosign 3 attaches as referrers. A
// signature verifies when it was made for the very digest checked and is trusted by one of
// the verifier's checks (a key, or a keyless identity).
type Cosign struct {
	reg    Registry
	checks []cosignCheck
}

// cosignCheck is one way a signature may be trusted.
type cosignCheck struct {
	detail string
	opts   cosign.CheckOpts
}

// NewCosignKeys returns a verifier accepting signatures made with any of keys. Key signatures
// are checked offline: no transparency log is consulted, as in Flux.
func NewCosignKeys(keys []PublicKey, reg Registry) (*Cosign, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no cosign public key", ErrInvalidConfig)
	}
	c := &Cosign{reg: reg}
	for _, k := range keys {
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(k.PEM)
		if err != nil {
			return nil, fmt.Errorf("%w: failed to parse the cosign public key '%s': %v", ErrInvalidConfig, k.Name, err)
		}
		v, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%w: failed to load the cosign public key '%s': %v", ErrInvalidConfig, k.Name, err)
		}
		c.checks = append(c.checks, cosignCheck{
			detail: fmt.Sprintf("cosign public key '%s'", k.Name),
			opts:   cosign.CheckOpts{SigVerifier: v, IgnoreTlog: true, Offline: true},
		})
	}
	return c, nil
}

// NewCosignKeyless returns a verifier accepting keyless signatures whose certificate chains
// to a certificate authority of the Sigstore trusted root (trusted_root.json) and matches one
// of ids (any identity when there is none). Everything is checked offline against the root: a
// transparency log entry (its inclusion promise or proof) when the root lists transparency
// logs, otherwise a signed timestamp when it lists timestamp authorities, otherwise the
// certificate must be valid now; and an embedded SCT when the root lists CT logs.
func NewCosignKeyless(trustedRoot []byte, ids []Identity, reg Registry) (*Cosign, error) {
	tr, err := root.NewTrustedRootFromJSON(trustedRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: failed to parse the Sigstore trusted root: %v", ErrInvalidConfig, err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, fmt.Errorf("%w: the Sigstore trusted root lists no certificate authority", ErrInvalidConfig)
	}
	base := cosign.CheckOpts{
		TrustedMaterial: tr,
		Offline:         true,
		IgnoreSCT:       len(tr.CTLogs()) == 0,
		IgnoreTlog:      len(tr.RekorLogs()) == 0,
	}
	base.UseSignedTimestamps = base.IgnoreTlog && len(tr.TimestampingAuthorities()) > 0
	if len(ids) == 0 {
		ids = []Identity{{Issuer: ".*", Subject: ".*"}}
	}
	c := &Cosign{reg: reg}
	for i, id := range ids {
		for _, re := range []string{id.Issuer, id.Subject} {
			if _, err := regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("%w: matchOIDCIdentity[%d]: %v", ErrInvalidConfig, i, err)
			}
		}
		opts := base
		// cosign's bundle verification takes one identity at a time.
		opts.Identities = []cosign.Identity{{IssuerRegExp: id.Issuer, SubjectRegExp: id.Subject}}
		c.checks = append(c.checks, cosignCheck{
			detail: fmt.Sprintf("cosign keyless identity (issuer '%s', subject '%s')", id.Issuer, id.Subject),
			opts:   opts,
		})
	}
	return c, nil
}

// Verify checks the cosign signatures of ref: its Sigstore bundles when it has some, then its
// signatures under the .sig tag, with each check in turn, and returns the first check that
// trusts one.
func (c *Cosign) Verify(ctx context.Context, ref name.Digest) (Outcome, error) {
	regOpts := []ociremote.Option{
		ociremote.WithRemoteOptions(append(append([]remote.Option{}, c.reg.Remote...), remote.WithContext(ctx))...),
		ociremote.WithNameOptions(c.reg.Name...),
	}
	bundles, _, err := cosign.GetBundles(ctx, ref, regOpts, c.reg.Name...)
	hasBundles := err == nil && len(bundles) > 0
	var errs []error
	for _, chk := range c.checks {
		co := chk.opts
		co.RegistryClientOpts = regOpts
		if hasBundles {
			co.NewBundleFormat = true
			_, _, err := cosign.VerifyImageAttestations(ctx, ref, &co, c.reg.Name...)
			if err == nil {
				return Outcome{Verified: true, Detail: chk.detail}, nil
			}
			errs = append(errs, fmt.Errorf("%s: bundle: %w", chk.detail, err))
		}
		co.NewBundleFormat = false
		// The signed payload must name the very digest checked, so that a signature copied
		// from another artifact does not verify.
		co.ClaimVerifier = cosign.SimpleClaimVerifier
		sigs, _, err := cosign.VerifyImageSignatures(ctx, ref, &co)
		if err == nil && len(sigs) > 0 {
			return Outcome{Verified: true, Detail: chk.detail}, nil
		}
		if err == nil {
			err = errors.New("no signature")
		}
		errs = append(errs, fmt.Errorf("%s: %w", chk.detail, err))
	}
	return Outcome{}, notVerified(errs...)
}
