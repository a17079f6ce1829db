package ocirepository

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify/verifytest"
)

// digestRef is the reference of the manifest digest d of repo in r.
func digestRef(t *testing.T, r *registry.Registry, repo, d string) name.Digest {
	t.Helper()
	ref, err := name.NewDigest(r.Repo(repo) + "@" + d)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// sigTag is the tag cosign 2 keeps the signatures of digest d under.
func sigTag(d string) string { return "sha256-" + strings.TrimPrefix(d, "sha256:") + ".sig" }

// condition renders a condition of obj as "<status>/<reason>: <message>", or "" without one.
func condition(obj *sourcev1.OCIRepository, typ string) string {
	c := conditions.Get(obj, typ)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
}

// served reads deploy/app.yaml of the artifact the storage serves for obj.
func served(t *testing.T, obj *sourcev1.OCIRepository) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fetch(t, obj.Status.Artifact), "deploy", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVerifyCosignKeys follows an OCIRepository verified with cosign public keys: a signed
// artifact is served with SourceVerified=True; an attacker's unsigned artifact pushed at the
// same tag, then the same with a valid signature copied from the first, is refused with
// VerificationError and nothing of it is stored or served; a new artifact signed the cosign 3
// way (a bundle) is served again.
func TestVerifyCosignKeys(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{Referrers: true})
	key, other := verifytest.NewCosignKey(t), verifytest.NewCosignKey(t)
	d1 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "good: 1\n"})
	key.Sign(t, digestRef(t, r, "app", d1), r.Options())
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "cosign-keys", corev1.SecretTypeOpaque, map[string][]byte{"other.pub": other.PublicPEM, "release.pub": key.PublicPEM, "README": []byte("x")})
	// The timeout is set as the typed client writes it back ("1m0s", where the CRD default is
	// "60s"), so that the test's updates do not change the generation.
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Timeout: &metav1.Duration{Duration: time.Minute},
		Verify: &sourcev1.OCIRepositoryVerification{
			Provider: sourcev1.VerificationProviderCosign, SecretRef: &fluxmeta.LocalObjectReference{Name: "cosign-keys"}}})

	got := statuscheck.Ready(t, env.Client, obj)
	verified := got.Status.Artifact
	g.Expect(verified.Revision).To(Equal("latest@" + d1))
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(Equal(
		"True/Succeeded: verified signature of revision 'latest@" + d1 + "' with cosign public key 'release.pub'"))
	g.Expect(served(t, got)).To(Equal("good: 1\n"))

	// Unchanged and verified, the artifact is neither pulled nor verified again.
	r.ResetCounts()
	statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(r.Counts()).To(Equal(registry.Counts{ManifestHeads: 1}))

	// The attacker pushes an unsigned artifact at the same tag.
	d2 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "evil: 1\n"})
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.NotReady(t, env.Client, obj, sourcev1.VerificationErrorReason,
		"failed to verify the signature of revision 'latest@"+d2+"' using provider 'cosign': no valid signature")
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(HavePrefix("False/VerificationError: failed to verify the signature of revision 'latest@" + d2 + "'"))
	g.Expect(got.Status.Artifact).To(Equal(verified))
	g.Expect(served(t, got)).To(Equal("good: 1\n"))
	files, err := store.List(sourcev1.OCIRepositoryKind, ns, "app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(ConsistOf(verified.Path))

	// ... then copies the valid signature of the first artifact to it: it names another digest.
	g.Expect(r.Tag("app", sigTag(d1), sigTag(d2))).To(Succeed())
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.NotReady(t, env.Client, obj, sourcev1.VerificationErrorReason, "invalid or missing digest in claim")
	g.Expect(got.Status.Artifact).To(Equal(verified))
	g.Expect(statuscheck.Events(t, env.Client, obj, sourcev1.OCIRepositoryKind, sourcev1.NewArtifactEventReason)).NotTo(
		ContainElement(ContainSubstring(d2)))

	// The owner signs a new artifact the cosign 3 way: it is served.
	d3 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "good: 3\n"})
	key.SignBundle(t, digestRef(t, r, "app", d3), r.Options())
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.Ready(t, env.Client, obj)
	g.Expect(got.Status.Artifact.Revision).To(Equal("latest@" + d3))
	g.Expect(served(t, got)).To(Equal("good: 3\n"))
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(ContainSubstring("revision 'latest@" + d3 + "'"))

	// Without spec.verify nothing is verified and the condition goes.
	got = statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Verify = nil })
	got = statuscheck.Ready(t, env.Client, got)
	g.Expect(conditions.Get(got, sourcev1.SourceVerifiedCondition)).To(BeNil())
}

// TestVerifyKeyless verifies keyless cosign signatures of a private Sigstore offline against
// the trusted root of trustedRootSecretRef, for the identities of matchOIDCIdentity.
func TestVerifyKeyless(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{Referrers: true})
	sigstore := verifytest.NewSigstore(t)
	const issuer = "https://token.actions.githubusercontent.com"
	d1 := pushFiles(t, r, "app", "v1.0.0", manifests)
	sigstore.Sign(t, digestRef(t, r, "app", d1), issuer, "https://github.com/org/app/.github/workflows/release.yaml@refs/tags/v1.0.0", r.Options())
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "sigstore-root", corev1.SecretTypeOpaque, map[string][]byte{"trusted_root.json": sigstore.TrustedRoot(t)})
	verify := &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign,
		TrustedRootSecretRef: &fluxmeta.LocalObjectReference{Name: "sigstore-root"},
		MatchOIDCIdentity:    []sourcev1.OIDCIdentityMatch{{Issuer: "^" + issuer + "$", Subject: "^https://github.com/org/other/.*$"}}}
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"),
		Reference: &sourcev1.OCIRepositoryRef{Tag: "v1.0.0"}, Verify: verify})

	// Another repository's workflow signed it: refused, nothing stored.
	got := statuscheck.NotReady(t, env.Client, obj, sourcev1.VerificationErrorReason,
		"using provider 'cosign keyless': no valid signature")
	g.Expect(got.Status.Artifact).To(BeNil())
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(ContainSubstring(`expected SAN value to match regex "^https://github.com/org/other/.*$"`))

	// The identity of the signer's workflow is accepted.
	got = statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) {
		o.Spec.Verify.MatchOIDCIdentity = append(o.Spec.Verify.MatchOIDCIdentity,
			sourcev1.OIDCIdentityMatch{Issuer: "^" + issuer + "$", Subject: "^https://github.com/org/app/.*$"})
	})
	got = statuscheck.Ready(t, env.Client, got)
	g.Expect(got.Status.Artifact.Revision).To(Equal("v1.0.0@" + d1))
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(Equal("True/Succeeded: verified signature of revision 'v1.0.0@" + d1 +
		"' with cosign keyless identity (issuer '^" + issuer + "$', subject '^https://github.com/org/app/.*$')"))
}

// TestVerifyNotation verifies Notary Project signatures with the trust policy and CA
// certificate of secretRef; an unsigned artifact pushed at the same tag is refused and the
// verified one kept.
func TestVerifyNotation(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	notary := verifytest.NewNotary(t, "ferry")
	d1 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "good: 1\n"})
	notary.Sign(t, digestRef(t, r, "app", d1))
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "notation", corev1.SecretTypeOpaque, map[string][]byte{
		"trustpolicy.json": verifytest.TrustPolicy("strict"), "ca.crt": notary.CACertPEM})
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Verify: &sourcev1.OCIRepositoryVerification{
		Provider: sourcev1.VerificationProviderNotation, SecretRef: &fluxmeta.LocalObjectReference{Name: "notation"}}})

	got := statuscheck.Ready(t, env.Client, obj)
	verified := got.Status.Artifact
	g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(Equal("True/Succeeded: verified signature of revision 'latest@" + d1 +
		"' with notation signature of 'CN=ferry,O=Ferry Test,ST=WA,C=US'"))

	d2 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "evil: 1\n"})
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.NotReady(t, env.Client, obj, sourcev1.VerificationErrorReason,
		"failed to verify the signature of revision 'latest@"+d2+"' using provider 'notation': no valid signature: no signature is associated")
	g.Expect(got.Status.Artifact).To(Equal(verified))
	g.Expect(served(t, got)).To(Equal("good: 1\n"))
}

// TestVerifySpecErrors: a verification spec that can never work stalls; Secrets that are
// missing or hold nothing usable fail with VerificationError and are retried, storing nothing.
func TestVerifySpecErrors(t *testing.T) {
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "empty", corev1.SecretTypeOpaque, map[string][]byte{"notes.txt": []byte("x")})
	secret(t, ns, "bad-key", corev1.SecretTypeOpaque, map[string][]byte{"cosign.pub": []byte("not a key")})
	ref := func(n string) *fluxmeta.LocalObjectReference { return &fluxmeta.LocalObjectReference{Name: n} }
	for _, tc := range []struct {
		name    string
		verify  sourcev1.OCIRepositoryVerification
		stalled bool
		msg     string
	}{
		{"notation without secret", sourcev1.OCIRepositoryVerification{Provider: "notation"}, true, "spec.verify.secretRef is required by provider notation"},
		{"keys and trusted root", sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: ref("empty"), TrustedRootSecretRef: ref("empty")}, true, "cannot be set together"},
		{"keys and identities", sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: ref("empty"),
			MatchOIDCIdentity: []sourcev1.OIDCIdentityMatch{{Issuer: ".*", Subject: ".*"}}}, true, "applies to keyless signatures"},
		{"missing secret", sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: ref("missing")}, false, "missing"},
		{"no keys", sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: ref("empty")}, false, "the secret has no cosign public keys (keys ending in .pub)"},
		{"bad key", sourcev1.OCIRepositoryVerification{Provider: "cosign", SecretRef: ref("bad-key")}, false, "failed to parse the cosign public key 'cosign.pub'"},
		{"no trusted root", sourcev1.OCIRepositoryVerification{Provider: "cosign", TrustedRootSecretRef: ref("empty")}, false, "the secret has no 'trusted_root.json' key"},
		{"no trust policy", sourcev1.OCIRepositoryVerification{Provider: "notation", SecretRef: ref("empty")}, false, "the secret has no 'trustpolicy.json' key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			v := tc.verify
			obj := newRepo(t, ns, strings.ReplaceAll(tc.name, " ", "-"), sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Verify: &v})
			var got *sourcev1.OCIRepository
			if tc.stalled {
				got = statuscheck.Stalled(t, env.Client, obj, fluxmeta.UnsupportedSpecReason, tc.msg)
			} else {
				got = statuscheck.NotReady(t, env.Client, obj, sourcev1.VerificationErrorReason, tc.msg)
				g.Expect(condition(got, sourcev1.SourceVerifiedCondition)).To(HavePrefix("False/VerificationError"))
			}
			g.Expect(got.Status.Artifact).To(BeNil())
		})
	}
}

// TestPublicSigstoreIsRefused: keyless verification against the public Sigstore instance (no
// secretRef, no trustedRootSecretRef) stalls before anything is asked of the registry.
func TestPublicSigstoreIsRefused(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	r.ResetCounts()
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Verify: &sourcev1.OCIRepositoryVerification{
		Provider:          sourcev1.VerificationProviderCosign,
		MatchOIDCIdentity: []sourcev1.OIDCIdentityMatch{{Issuer: "^https://token.actions.githubusercontent.com$", Subject: ".*"}}}})
	got := statuscheck.Stalled(t, env.Client, obj, fluxmeta.UnsupportedSpecReason,
		"keyless verification of OCIRepository signatures against the public Sigstore instance is not supported by Ferry")
	g.Expect(got.Status.Artifact).To(BeNil())
	g.Expect(r.Counts()).To(Equal(registry.Counts{}), "nothing is asked of the registry")
}
