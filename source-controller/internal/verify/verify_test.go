package verify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify/verifytest"
)

// push pushes a Flux-style artifact with content to repo:tag and returns its digest reference.
func push(t *testing.T, r *registry.Registry, repo, tag, content string) name.Digest {
	t.Helper()
	d, err := r.PushFiles(repo, tag, map[string]string{"app.yaml": content}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(r.Repo(repo) + "@" + d)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// check verifies ref with v and fails the test unless the outcome is what want says: "" for
// verified, or a text the error (or the detail of an unenforced outcome) holds.
func check(t *testing.T, v Verifier, ref name.Digest, wantVerified bool, want string) Outcome {
	t.Helper()
	got, err := v.Verify(context.Background(), ref)
	switch {
	case wantVerified && (err != nil || !got.Verified):
		t.Fatalf("Verify(%s) = %+v, %v; want verified", ref.DigestStr(), got, err)
	case wantVerified:
		if !strings.Contains(got.Detail, want) {
			t.Fatalf("Verify(%s) detail %q, want %q", ref.DigestStr(), got.Detail, want)
		}
	case err != nil:
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Verify(%s) error = %v; want ErrNotVerified with %q", ref.DigestStr(), err, want)
		}
	case got.Verified || !strings.Contains(got.Detail, want):
		t.Fatalf("Verify(%s) = %+v; want not verified with %q", ref.DigestStr(), got, want)
	}
	return got
}

// TestCosignKeys verifies cosign 2 (.sig tag) and cosign 3 (bundle) signatures made with a key
// among several trusted ones, and refuses unsigned artifacts, other keys, and a signature
// copied from another artifact.
func TestCosignKeys(t *testing.T) {
	r := registry.New(t, registry.Options{Referrers: true})
	reg := Registry{Remote: r.Options()}
	key, other := verifytest.NewCosignKey(t), verifytest.NewCosignKey(t)
	legacy := push(t, r, "app", "v1", "one")
	bundled := push(t, r, "app", "v2", "two")
	unsigned := push(t, r, "app", "v3", "three")
	byOther := push(t, r, "app", "v4", "four")
	copied := push(t, r, "app", "v5", "five")
	key.Sign(t, legacy, r.Options())
	key.SignBundle(t, bundled, r.Options())
	other.Sign(t, byOther, r.Options())
	other.SignBundle(t, byOther, r.Options())
	// An attacker copies the valid signature of the first artifact to the last one.
	if err := r.Tag("app", "sha256-"+strings.TrimPrefix(legacy.DigestStr(), "sha256:")+".sig",
		"sha256-"+strings.TrimPrefix(copied.DigestStr(), "sha256:")+".sig"); err != nil {
		t.Fatal(err)
	}

	v, err := NewCosignKeys([]PublicKey{{Name: "a.pub", PEM: other.PublicPEM}, {Name: "b.pub", PEM: key.PublicPEM}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	only, err := NewCosignKeys([]PublicKey{{Name: "a.pub", PEM: key.PublicPEM}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	check(t, v, legacy, true, "cosign public key 'b.pub'")
	check(t, v, bundled, true, "cosign public key 'b.pub'")
	check(t, v, byOther, true, "cosign public key 'a.pub'")
	check(t, v, unsigned, false, "no signatures found")
	check(t, only, byOther, false, "cosign public key 'a.pub'")
	check(t, only, copied, false, "")

	if _, err := NewCosignKeys([]PublicKey{{Name: "bad.pub", PEM: []byte("not a key")}}, reg); !errors.Is(err, ErrInvalidConfig) ||
		!strings.Contains(err.Error(), "'bad.pub'") {
		t.Fatalf("NewCosignKeys with a bad key: %v", err)
	}
}

// TestCosignKeyless verifies keyless bundles of a private Sigstore offline against its
// trusted root, for the identities asked, and refuses other identities, another Sigstore's
// certificates and unsigned artifacts.
func TestCosignKeyless(t *testing.T) {
	r := registry.New(t, registry.Options{Referrers: true})
	reg := Registry{Remote: r.Options()}
	sigstore, rogue := verifytest.NewSigstore(t), verifytest.NewSigstore(t)
	const issuer, subject = "https://token.actions.githubusercontent.com", "https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main"
	signed := push(t, r, "app", "v1", "one")
	byRogue := push(t, r, "app", "v2", "two")
	unsigned := push(t, r, "app", "v3", "three")
	sigstore.Sign(t, signed, issuer, subject, r.Options())
	rogue.Sign(t, byRogue, issuer, subject, r.Options())

	trusted := sigstore.TrustedRoot(t)
	match := []Identity{{Issuer: "^https://accounts.example.com$", Subject: ".*"}, {Issuer: "^https://token.actions.githubusercontent.com$", Subject: "^https://github.com/org/app/.*$"}}
	v, err := NewCosignKeyless(trusted, match, reg)
	if err != nil {
		t.Fatal(err)
	}
	check(t, v, signed, true, "issuer '^https://token.actions.githubusercontent.com$'")
	check(t, v, byRogue, false, "")
	check(t, v, unsigned, false, "")
	other, err := NewCosignKeyless(trusted, []Identity{{Issuer: "^https://token.actions.githubusercontent.com$", Subject: "^https://github.com/org/other/.*$"}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	check(t, other, signed, false, "")
	anyone, err := NewCosignKeyless(trusted, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	check(t, anyone, signed, true, "")

	for _, tc := range []struct {
		root string
		ids  []Identity
		want string
	}{
		{"{", nil, "failed to parse the Sigstore trusted root"},
		{string(trusted), []Identity{{Issuer: "(", Subject: ".*"}}, "matchOIDCIdentity[0]"},
	} {
		if _, err := NewCosignKeyless([]byte(tc.root), tc.ids, reg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewCosignKeyless: error = %v, want %q", err, tc.want)
		}
	}
}

// TestNotation verifies notation signatures with a trust policy and its CA certificate, on a
// registry without the referrers API (the referrers tag schema), at each verification level.
func TestNotation(t *testing.T) {
	r := registry.New(t, registry.Options{})
	reg := Registry{Remote: r.Options()}
	notary, rogue := verifytest.NewNotary(t, "ferry"), verifytest.NewNotary(t, "rogue")
	signed := push(t, r, "app", "v1", "one")
	unsigned := push(t, r, "app", "v2", "two")
	byRogue := push(t, r, "app", "v3", "three")
	notary.Sign(t, signed)
	rogue.Sign(t, byRogue)
	newVerifier := func(level string) Verifier {
		t.Helper()
		v, err := NewNotation(verifytest.TrustPolicy(level), []Certificate{{Name: "ca.crt", Data: notary.CACertPEM}}, reg)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	strict := newVerifier("strict")
	check(t, strict, signed, true, "notation signature of 'CN=ferry")
	check(t, strict, unsigned, false, "no signature is associated")
	check(t, strict, byRogue, false, "")
	// audit logs an untrusted signature and does not enforce it; skip checks nothing.
	check(t, newVerifier("audit"), byRogue, false, "only logs that the signature is not trusted")
	check(t, newVerifier("audit"), unsigned, false, "no signature is associated")
	check(t, newVerifier("skip"), unsigned, false, "skips the verification")

	for _, tc := range []struct {
		policy string
		certs  []Certificate
		want   string
	}{
		{"{", []Certificate{{Name: "ca.crt", Data: notary.CACertPEM}}, "failed to parse the notation trust policy"},
		{`{"version":"1.0","trustPolicies":[]}`, []Certificate{{Name: "ca.crt", Data: notary.CACertPEM}}, "invalid notation trust policy"},
		{string(verifytest.TrustPolicy("strict")), []Certificate{{Name: "bad.pem", Data: []byte("x")}}, "'bad.pem'"},
	} {
		if _, err := NewNotation([]byte(tc.policy), tc.certs, reg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewNotation: error = %v, want %q", err, tc.want)
		}
	}
}
