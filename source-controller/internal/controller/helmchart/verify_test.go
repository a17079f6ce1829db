package helmchart_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify/verifytest"
)

// pushSignable pushes chart demo at version, whose values.yaml is values, and returns the
// reference of its manifest digest, for signing.
func pushSignable(g *WithT, reg *testregistry.Registry, version, values string) name.Digest {
	files := demo(version)
	files["values.yaml"] = values
	data, err := helmrepo.PackageFiles(files)
	g.Expect(err).NotTo(HaveOccurred())
	d, err := reg.Push("charts/demo", version, testregistry.Artifact{
		ConfigMediaType: registry.ConfigMediaType,
		Config:          []byte(`{"name":"demo","version":"` + version + `"}`),
		Layers:          []testregistry.Layer{{MediaType: registry.ChartLayerMediaType, Data: data}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	ref, err := name.NewDigest(reg.Repo("charts/demo") + "@" + d)
	g.Expect(err).NotTo(HaveOccurred())
	return ref
}

// verifiedCondition renders SourceVerified of a HelmChart as "<status>/<reason>: <message>".
func verifiedCondition(obj *sourcev1.HelmChart) string {
	c := conditions.Get(obj, sourcev1.SourceVerifiedCondition)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason + ": " + c.Message
}

// TestVerifyOCIChart verifies the cosign signatures of the charts of an OCI HelmRepository
// before they are pulled: a signed version is served with SourceVerified=True; an attacker's
// unsigned newer version is refused with VerificationError and the verified chart kept; a
// version the owner signs the cosign 3 way is served; an unsigned chart pushed over that
// version's tag afterwards is not served either.
func TestVerifyOCIChart(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{Referrers: true})
	key := verifytest.NewCosignKey(t)
	key.Sign(t, pushSignable(g, reg, "1.0.0", "replicas: 1\n"), reg.Options())
	create(g, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cosign-keys"},
		Data: map[string][]byte{"cosign.pub": key.PublicPEM}})
	repo := newRepository(ns, "charts", reg.OCIURL("charts"))
	repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	chart := newChart(ns, "demo", sourcev1.HelmRepositoryKind, "charts", "demo", func(o *sourcev1.HelmChart) {
		o.Spec.Version = "1.x"
		o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign,
			SecretRef: &fluxmeta.LocalObjectReference{Name: "cosign-keys"}}
	})
	create(g, repo, chart)

	got := sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)
	verified := got.Status.Artifact
	g.Expect(verified.Revision).To(Equal("1.0.0"))
	g.Expect(verifiedCondition(got)).To(Equal("True/Succeeded: verified signature of revision '1.0.0' with cosign public key 'cosign.pub'"))

	// The attacker pushes an unsigned newer version.
	pushSignable(g, reg, "1.1.0", "replicas: 666\n")
	statuscheck.RequestReconcile(t, env.Client, chart)
	got = statuscheck.NotReady(t, env.Client, chart, sourcev1.VerificationErrorReason,
		"failed to verify the signature of revision '1.1.0' using provider 'cosign': no valid signature")
	g.Expect(verifiedCondition(got)).To(HavePrefix("False/VerificationError"))
	g.Expect(got.Status.Artifact).To(Equal(verified))
	g.Expect(loadArtifact(g, got.Status.Artifact).Values).To(HaveKeyWithValue("replicas", BeEquivalentTo(1)))
	files, err := st.List(sourcev1.HelmChartKind, ns, "demo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(ConsistOf(verified.Path))

	// The owner signs a newer version with a cosign 3 bundle: it is served.
	key.SignBundle(t, pushSignable(g, reg, "1.2.0", "replicas: 2\n"), reg.Options())
	statuscheck.RequestReconcile(t, env.Client, chart)
	got = sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.2.0"))
	g.Expect(verifiedCondition(got)).To(HavePrefix("True/Succeeded: verified signature of revision '1.2.0'"))
	current := got.Status.Artifact

	// An unsigned chart pushed over the tag of the verified version is not served.
	pushSignable(g, reg, "1.2.0", "replicas: 666\n")
	got = statuscheck.RequestReconcile(t, env.Client, chart)
	g.Expect(got.Status.Artifact).To(Equal(current))
	g.Expect(loadArtifact(g, got.Status.Artifact).Values).To(HaveKeyWithValue("replicas", BeEquivalentTo(2)))
	// Nor after a spec change, which verifies the tag again.
	statuscheck.Update(t, env.Client, chart, func(o *sourcev1.HelmChart) { o.Spec.Version = ">=1.2.0 <2.0.0" })
	got = statuscheck.NotReady(t, env.Client, chart, sourcev1.VerificationErrorReason, "revision '1.2.0'")
	g.Expect(got.Status.Artifact).To(Equal(current))
}

// TestVerifyOCIChartNotation verifies the Notary Project signature of an OCI chart with the
// trust policy and certificate of spec.verify.secretRef.
func TestVerifyOCIChartNotation(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{})
	notary := verifytest.NewNotary(t, "charts")
	notary.Sign(t, pushSignable(g, reg, "1.0.0", "replicas: 1\n"))
	pushSignable(g, reg, "2.0.0", "replicas: 666\n")
	create(g, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "notation"},
		Data: map[string][]byte{"trustpolicy.json": verifytest.TrustPolicy("strict"), "ca.pem": notary.CACertPEM}})
	repo := newRepository(ns, "charts", reg.OCIURL("charts"))
	repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	verify := func(version string) func(*sourcev1.HelmChart) {
		return func(o *sourcev1.HelmChart) {
			o.Spec.Version = version
			o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderNotation,
				SecretRef: &fluxmeta.LocalObjectReference{Name: "notation"}}
		}
	}
	signed := newChart(ns, "signed", sourcev1.HelmRepositoryKind, "charts", "demo", verify("1.0.0"))
	unsigned := newChart(ns, "unsigned", sourcev1.HelmRepositoryKind, "charts", "demo", verify("2.0.0"))
	create(g, repo, signed, unsigned)

	got := sourcetest.ReadyWith(t, env.Client, signed, sourcev1.ChartPullSucceededReason)
	g.Expect(verifiedCondition(got)).To(Equal("True/Succeeded: verified signature of revision '1.0.0' with notation signature of 'CN=charts,O=Ferry Test,ST=WA,C=US'"))
	got = statuscheck.NotReady(t, env.Client, unsigned, sourcev1.VerificationErrorReason, "using provider 'notation': no valid signature")
	g.Expect(got.Status.Artifact).To(BeNil())
}

// TestVerifyOCIChartKeyless verifies the keyless cosign signature of an OCI chart offline
// against the Sigstore trusted root of trustedRootSecretRef, for the identity asked.
func TestVerifyOCIChartKeyless(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{Referrers: true})
	sigstore := verifytest.NewSigstore(t)
	const issuer = "https://gitlab.example.com"
	sigstore.Sign(t, pushSignable(g, reg, "1.0.0", "replicas: 1\n"), issuer, "release-bot@example.com", reg.Options())
	create(g, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sigstore"},
		Data: map[string][]byte{"trusted_root.json": sigstore.TrustedRoot(t)}})
	repo := newRepository(ns, "charts", reg.OCIURL("charts"))
	repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	keyless := func(subject string) func(*sourcev1.HelmChart) {
		return func(o *sourcev1.HelmChart) {
			o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign,
				TrustedRootSecretRef: &fluxmeta.LocalObjectReference{Name: "sigstore"},
				MatchOIDCIdentity:    []sourcev1.OIDCIdentityMatch{{Issuer: "^" + issuer + "$", Subject: subject}}}
		}
	}
	bot := newChart(ns, "bot", sourcev1.HelmRepositoryKind, "charts", "demo", keyless("^release-bot@example.com$"))
	other := newChart(ns, "other", sourcev1.HelmRepositoryKind, "charts", "demo", keyless("^someone@example.com$"))
	create(g, repo, bot, other)

	got := sourcetest.ReadyWith(t, env.Client, bot, sourcev1.ChartPullSucceededReason)
	g.Expect(verifiedCondition(got)).To(HavePrefix("True/Succeeded: verified signature of revision '1.0.0' with cosign keyless identity"))
	got = statuscheck.NotReady(t, env.Client, other, sourcev1.VerificationErrorReason, "using provider 'cosign keyless': no valid signature")
	g.Expect(got.Status.Artifact).To(BeNil())
}

// TestVerifyRefusedForOtherSources: charts packaged from a GitRepository or Bucket carry no
// signature; spec.verify on them stalls before anything is fetched.
func TestVerifyRefusedForOtherSources(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	chart := newChart(ns, "git", sourcev1.GitRepositoryKind, "missing", "./charts/demo", func(o *sourcev1.HelmChart) {
		o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign,
			SecretRef: &fluxmeta.LocalObjectReference{Name: "cosign-keys"}}
	})
	create(g, chart)
	got := statuscheck.Stalled(t, env.Client, chart, fluxmeta.UnsupportedSpecReason,
		"spec.verify is not supported by Ferry for charts from a GitRepository")
	g.Expect(got.Status.Artifact).To(BeNil())
}
