package ocirepository

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var manifests = map[string]string{"deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\n", "README.md": "docs\n"}

func pushFiles(t *testing.T, r *registry.Registry, repo, tag string, files map[string]string) string {
	t.Helper()
	d, err := r.PushFiles(repo, tag, files, "https://github.com/example/app", "main@sha1:4f5e")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTagLifecycle follows one OCIRepository on the default tag: first artifact, a reconcile
// with an unchanged tag that pulls nothing, a new push, garbage collection and deletion.
func TestTagLifecycle(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	d1 := pushFiles(t, r, "app", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app")})

	got := statuscheck.Ready(t, env.Client, obj)
	a := got.Status.Artifact
	g.Expect(a).NotTo(BeNil())
	g.Expect(a.Revision).To(Equal("latest@" + d1))
	g.Expect(a.Path).To(MatchRegexp(`^ocirepository/` + ns + `/app/[0-9a-f]{64}\.tar\.gz$`))
	g.Expect(a.Metadata).To(HaveKeyWithValue(registry.RevisionAnnotation, "main@sha1:4f5e"))
	g.Expect(got.Status.URL).To(Equal(a.URL))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("stored artifact for digest 'latest@" + d1 + "'"))
	g.Expect(conditions.IsTrue(got, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(got.Finalizers).To(ContainElement(sourcev1.SourceFinalizer))
	dir := fetch(t, a)
	g.Expect(os.ReadFile(filepath.Join(dir, "deploy", "app.yaml"))).To(BeEquivalentTo(manifests["deploy/app.yaml"]))
	g.Eventually(func() []corev1.Event { return eventsFor(t, ns, "app") }, testenv.Timeout, testenv.Interval).Should(ContainElement(SatisfyAll(
		HaveField("Reason", sourcev1.NewArtifactEventReason),
		HaveField("Message", ContainSubstring("latest@"+d1)),
		HaveField("ObjectMeta.Annotations", HaveKeyWithValue("source.toolkit.fluxcd.io/revision", "latest@"+d1)),
	)))

	// An unchanged tag costs one manifest HEAD and no pull.
	r.ResetCounts()
	again := statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(r.Counts()).To(Equal(registry.Counts{ManifestHeads: 1}))
	g.Expect(again.Status.Artifact).To(Equal(a))

	// A new push to the tag gives a new artifact; the old one is kept (retention 2).
	d2 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "kind: Secret\n"})
	got = statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(got.Status.Artifact.Revision).To(Equal("latest@" + d2))
	g.Expect(fetch(t, got.Status.Artifact)).To(BeADirectory())
	files, err := store.List(sourcev1.OCIRepositoryKind, ns, "app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(ConsistOf(got.Status.Artifact.Path, a.Path))

	// A third revision pushes the first out.
	pushFiles(t, r, "app", "latest", map[string]string{"third": "3"})
	got = statuscheck.RequestReconcile(t, env.Client, obj)
	files, _ = store.List(sourcev1.OCIRepositoryKind, ns, "app")
	g.Expect(files).To(HaveLen(2))
	g.Expect(files).NotTo(ContainElement(a.Path))

	// Deletion removes every artifact, then the object.
	g.Expect(env.Client.Delete(t.Context(), got)).To(Succeed())
	g.Eventually(func() error {
		return env.Client.Get(t.Context(), client.ObjectKeyFromObject(obj), &sourcev1.OCIRepository{})
	}, testenv.Timeout, testenv.Interval).Should(MatchError(ContainSubstring("not found")))
	files, _ = store.List(sourcev1.OCIRepositoryKind, ns, "app")
	g.Expect(files).To(BeEmpty())
}

// TestRefs resolves tag, semver, semver with a filter and digest references.
func TestRefs(t *testing.T) {
	r := registry.New(t, registry.Options{})
	d100 := pushFiles(t, r, "app", "1.0.0", map[string]string{"v": "1.0.0"})
	d120 := pushFiles(t, r, "app", "1.2.0", map[string]string{"v": "1.2.0"})
	d130 := pushFiles(t, r, "app", "1.3.0-rc.1", map[string]string{"v": "1.3.0-rc.1"})
	pushFiles(t, r, "app", "2.0.0", map[string]string{"v": "2.0.0"})
	ns := testenv.NewNamespace(t, env.Client)
	for _, tc := range []struct {
		name string
		ref  sourcev1.OCIRepositoryRef
		want string
	}{
		{"tag", sourcev1.OCIRepositoryRef{Tag: "1.0.0"}, "1.0.0@" + d100},
		{"semver", sourcev1.OCIRepositoryRef{SemVer: "1.x", Tag: "2.0.0"}, "1.2.0@" + d120},
		{"semverfilter", sourcev1.OCIRepositoryRef{SemVer: ">=1.0.0-0 <2.0.0", SemverFilter: "-rc"}, "1.3.0-rc.1@" + d130},
		{"digest", sourcev1.OCIRepositoryRef{Digest: d100, SemVer: "*"}, d100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ref := tc.ref
			got := statuscheck.Ready(t, env.Client, newRepo(t, ns, tc.name, sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Reference: &ref}))
			g.Expect(got.Status.Artifact.Revision).To(Equal(tc.want))
		})
	}
}

// TestDigestUnchangedMakesNoRequest proves that a digest reference already stored costs no
// registry request at all.
func TestDigestUnchangedMakesNoRequest(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	d := pushFiles(t, r, "app", "v1", manifests)
	obj := newRepo(t, testenv.NewNamespace(t, env.Client), "pinned", sourcev1.OCIRepositorySpec{
		URL: r.OCIURL("app"), Reference: &sourcev1.OCIRepositoryRef{Digest: d}})
	statuscheck.Ready(t, env.Client, obj)
	r.ResetCounts()
	statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(r.Counts()).To(Equal(registry.Counts{}))
}

// TestIgnore leaves spec.ignore matches out of an extracted artifact, and a changed
// spec.ignore rebuilds the artifact of an unchanged revision.
func TestIgnore(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	ignored := "README.md\n"
	obj := newRepo(t, testenv.NewNamespace(t, env.Client), "ignore", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Ignore: &ignored})
	got := statuscheck.Ready(t, env.Client, obj)
	dir := fetch(t, got.Status.Artifact)
	g.Expect(filepath.Join(dir, "README.md")).NotTo(BeAnExistingFile())
	g.Expect(filepath.Join(dir, "deploy", "app.yaml")).To(BeAnExistingFile())
	g.Expect(*got.Status.ObservedIgnore).To(Equal(ignored))

	changed := statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Ignore = nil })
	got = statuscheck.Wait(t, env.Client, changed, func(g Gomega, o *sourcev1.OCIRepository) {
		g.Expect(conditions.IsReady(o) && o.Status.ObservedIgnore == nil).To(BeTrue())
	})
	g.Expect(filepath.Join(fetch(t, got.Status.Artifact), "README.md")).To(BeAnExistingFile())
}
