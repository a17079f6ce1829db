package ocirepository

import (
	"os"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// waitFailed waits until obj is Ready=False with reason, retrying (Reconciling=True), and
// checks FetchFailed or StorageOperationFailed tell the same story.
func waitFailed(t *testing.T, obj *sourcev1.OCIRepository, reason string) *sourcev1.OCIRepository {
	t.Helper()
	got := statuscheck.NotReady(t, env.Client, obj, reason, "")
	if !conditions.IsTrue(got, fluxmeta.ReconcilingCondition) {
		t.Fatalf("a failure that may go away must be retried: conditions %+v", got.Status.Conditions)
	}
	return got
}

// TestBadInput gives each broken spec or remote a Ready=False with a reason and message a
// user understands.
func TestBadInput(t *testing.T) {
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "1.0.0", manifests)
	closed, err := registry.Start(registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	ns := testenv.NewNamespace(t, env.Client)
	for _, tc := range []struct {
		name, url string
		ref       *sourcev1.OCIRepositoryRef
		reason    string
		msg       string
	}{
		{"unreachable", closed.OCIURL("app"), nil, sourcev1.OCIPullFailedReason, "connection refused"},
		{"missing-tag", r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Tag: "9.9.9"}, sourcev1.OCIPullFailedReason,
			"failed to resolve tag '9.9.9' of " + r.Repo("app") + ": not found"},
		{"missing-repo", r.OCIURL("nothing-here"), nil, sourcev1.OCIPullFailedReason, "not found"},
		{"no-semver-match", r.OCIURL("app"), &sourcev1.OCIRepositoryRef{SemVer: ">=2.0.0"}, sourcev1.OCIPullFailedReason,
			"failed to resolve semver range '>=2.0.0' of " + r.Repo("app") + ": no tag matches '>=2.0.0' among 1 tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := waitFailed(t, newRepo(t, ns, tc.name, sourcev1.OCIRepositorySpec{URL: tc.url, Reference: tc.ref, Insecure: true}), tc.reason)
			g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(tc.msg))
			g.Expect(conditions.Get(got, sourcev1.FetchFailedCondition).Reason).To(Equal(tc.reason))
			g.Expect(got.Status.Artifact).To(BeNil())
		})
	}
}

// TestInvalidSpecStalls stalls, without retrying, on a spec that cannot work; the API server
// itself refuses a URL that is not oci://.
func TestInvalidSpecStalls(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	for _, tc := range []struct {
		name   string
		spec   sourcev1.OCIRepositorySpec
		reason string
		msg    string
	}{
		{"bad-url", sourcev1.OCIRepositorySpec{URL: "oci://Bad Host/app"}, sourcev1.URLInvalidReason, `failed to parse URL "oci://Bad Host/app"`},
		{"bad-semver", sourcev1.OCIRepositorySpec{URL: "oci://127.0.0.1:1/app", Reference: &sourcev1.OCIRepositoryRef{SemVer: "one"}},
			sourcev1.OCIPullFailedReason, `failed to parse semver range "one"`},
		{"cloud-provider", sourcev1.OCIRepositorySpec{URL: "oci://127.0.0.1:1/app", Provider: sourcev1.AmazonOCIProvider},
			sourcev1.InvalidProviderConfigurationReason, "provider aws logs in to Amazon ECR registries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := statuscheck.NotReady(t, env.Client, newRepo(t, ns, tc.name, tc.spec), tc.reason, "")
			g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
			g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(tc.msg))
		})
	}
	obj := &sourcev1.OCIRepository{ObjectMeta: metav1.ObjectMeta{Name: "https", Namespace: ns},
		Spec: sourcev1.OCIRepositorySpec{URL: "https://ghcr.io/org/app", Interval: metav1.Duration{Duration: 60e9}}}
	NewWithT(t).Expect(env.Client.Create(t.Context(), obj)).To(MatchError(ContainSubstring(`should match '^oci://.*$'`)))
}

// TestKeepsLastGoodArtifact keeps serving the last artifact while the remote fails, and
// fetches it again when its file vanished from the storage.
func TestKeepsLastGoodArtifact(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	d := pushFiles(t, r, "app", "v1", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Reference: &sourcev1.OCIRepositoryRef{Tag: "v1"}})
	good := statuscheck.Ready(t, env.Client, obj).Status.Artifact

	broken := statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Reference.Tag = "v2" })
	got := waitFailed(t, broken, sourcev1.OCIPullFailedReason)
	g.Expect(got.Status.Artifact).To(Equal(good))
	g.Expect(conditions.IsTrue(got, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(fetch(t, got.Status.Artifact)).To(BeADirectory())

	fixed := statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Reference.Tag = "v1" })
	g.Expect(statuscheck.Ready(t, env.Client, fixed).Status.Artifact.Revision).To(Equal("v1@" + d))

	g.Expect(os.Remove(store.Path() + "/" + good.Path)).To(Succeed())
	r.ResetCounts()
	got = statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	g.Expect(r.Counts().BlobGets).To(BeNumerically(">", 0), "a vanished artifact is pulled again")
	g.Expect(fetch(t, got.Status.Artifact)).To(BeADirectory())
}
