package helmrepository_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

func newServer(t *testing.T, opts helmrepo.Options, versions ...string) *helmrepo.Server {
	t.Helper()
	s, err := helmrepo.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	addVersions(t, s, versions...)
	return s
}

func addVersions(t *testing.T, s *helmrepo.Server, versions ...string) {
	t.Helper()
	for _, v := range versions {
		if _, err := s.AddChart(helmrepo.ChartFiles("demo", v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
}

// readyRepository serves demo 1.0.0 and returns a Ready HelmRepository "repo" of it.
func readyRepository(t *testing.T, g *WithT) (string, *helmrepo.Server, *sourcev1.HelmRepository, *sourcev1.HelmRepository) {
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, "1.0.0")
	obj := newRepository(ns, "repo", srv.URL())
	g.Expect(env.Client.Create(context.Background(), obj)).To(Succeed())
	return ns, srv, obj, sourcetest.ReadyWith(t, env.Client, obj, fluxmeta.SucceededReason)
}

// TestStoredIndexIsSharedWithCharts checks that the index parsed while it was stored is in the
// cache the HelmChart reconciler resolves versions from, so that it is not parsed again.
func TestStoredIndexIsSharedWithCharts(t *testing.T) {
	g := NewWithT(t)
	_, _, _, got := readyRepository(t, g)
	g.Expect(got.Status.Artifact).NotTo(BeNil())
	idx, err := deps.HelmIndexes().Get(got.Status.Artifact.Digest, func() (*index.Index, error) {
		return nil, errors.New("the stored index was not cached")
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(idx.Len()).To(Equal(1))
	g.Expect(idx.Charts()).To(ConsistOf("demo"))
}

func TestStoresIndexAndSkipsUnchanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns, srv, obj, got := readyRepository(t, g)
	a := got.Status.Artifact
	g.Expect(a).NotTo(BeNil())
	g.Expect(a.Revision).To(Equal(a.Digest))
	g.Expect(a.Revision).To(HavePrefix("sha256:"))
	g.Expect(a.Path).To(HavePrefix("helmrepository/" + ns + "/repo/"))
	g.Expect(a.Path).To(HaveSuffix(".yaml"))
	g.Expect(got.Status.URL).To(Equal(a.URL))
	g.Expect(conditions.IsTrue(got, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	want, err := os.ReadFile(filepath.Join(srv.Dir(), "index.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(httpGet(g, a.URL)).To(Equal(string(want)))

	// An unchanged index stores nothing new.
	got = statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(got.Status.Artifact).To(Equal(a))
	g.Expect(srv.Served("/index.yaml")).To(BeNumerically(">=", 2))

	// A new chart version is a new artifact; the previous one is kept.
	addVersions(t, srv, "1.1.0")
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.Wait(t, env.Client, obj, func(g Gomega, o *sourcev1.HelmRepository) {
		g.Expect(o.Status.Artifact.Revision != a.Revision).To(BeTrue())
	})
	g.Expect(got.Status.Artifact.Path).NotTo(Equal(a.Path))
	files, err := st.List(sourcev1.HelmRepositoryKind, ns, "repo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(2))

	// Deleting the object removes its artifacts.
	g.Expect(env.Client.Delete(ctx, got)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(obj), &sourcev1.HelmRepository{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	files, err = st.List(sourcev1.HelmRepositoryKind, ns, "repo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(BeEmpty())
}

func TestAuthAndTLS(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{Username: "user", Password: "s3cret", TLS: true}, "1.0.0")
	createSecret(g, ns, "auth", map[string][]byte{"username": []byte("user"), "password": []byte("s3cret")})
	createSecret(g, ns, "wrong", map[string][]byte{"username": []byte("user"), "password": []byte("nope")})
	createSecret(g, ns, "ca", map[string][]byte{"ca.crt": srv.CAPEM()})
	createSecret(g, ns, "legacy", map[string][]byte{"username": []byte("user"), "password": []byte("s3cret"), "caFile": srv.CAPEM()})
	withSecrets := func(auth, cert string) func(*sourcev1.HelmRepository) {
		return func(o *sourcev1.HelmRepository) {
			o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: auth}
			if cert != "" {
				o.Spec.CertSecretRef = &fluxmeta.LocalObjectReference{Name: cert}
			}
		}
	}
	good := newRepository(ns, "good", srv.URL(), withSecrets("auth", "ca"))
	legacy := newRepository(ns, "legacy", srv.URL(), withSecrets("legacy", ""))
	wrong := newRepository(ns, "wrong", srv.URL(), withSecrets("wrong", "ca"))
	untrusted := newRepository(ns, "untrusted", srv.URL(), withSecrets("auth", ""))
	missing := newRepository(ns, "missing", srv.URL(), withSecrets("nonexistent", "ca"))
	for _, o := range []*sourcev1.HelmRepository{good, legacy, wrong, untrusted, missing} {
		g.Expect(env.Client.Create(ctx, o)).To(Succeed())
	}
	sourcetest.ReadyWith(t, env.Client, good, fluxmeta.SucceededReason)
	sourcetest.ReadyWith(t, env.Client, legacy, fluxmeta.SucceededReason)
	for _, tc := range []struct {
		obj            *sourcev1.HelmRepository
		reason, substr string
	}{
		{wrong, sourcev1.AuthenticationFailedReason, "401 Unauthorized"},
		{untrusted, sourcev1.IndexationFailedReason, "certificate"},
		{missing, sourcev1.AuthenticationFailedReason, "failed to get secret '" + ns + "/nonexistent'"},
	} {
		got := statuscheck.NotReady(t, env.Client, tc.obj, tc.reason, "")
		failedFetch(g, got, tc.reason, tc.substr)
		g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).NotTo(ContainSubstring("nope"))
	}
}

// failedFetch checks the conditions of a transient fetch failure.
func failedFetch(g *WithT, obj *sourcev1.HelmRepository, reason, substr string) {
	ready := conditions.Get(obj, fluxmeta.ReadyCondition)
	g.Expect(ready.Message).To(ContainSubstring(substr))
	g.Expect(conditions.IsTrue(obj, sourcev1.FetchFailedCondition)).To(BeTrue())
	g.Expect(conditions.Get(obj, sourcev1.FetchFailedCondition).Reason).To(Equal(reason))
	g.Expect(conditions.IsTrue(obj, fluxmeta.ReconcilingCondition)).To(BeTrue())
	g.Expect(conditions.Get(obj, fluxmeta.StalledCondition)).To(BeNil())
}

func TestBadInput(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	corrupt := newServer(t, helmrepo.Options{})
	g.Expect(corrupt.WriteIndex([]byte("<html><body>Welcome</body></html>\n"))).To(Succeed())
	badYAML := newServer(t, helmrepo.Options{})
	g.Expect(badYAML.WriteIndex([]byte("apiVersion: v1\nentries:\n  demo:\n  - version: [1.0.0\n"))).To(Succeed())
	huge := newServer(t, helmrepo.Options{})
	g.Expect(huge.WriteIndex([]byte("apiVersion: v1\n# " + strings.Repeat("x", indexMaxSize) + "\n"))).To(Succeed())
	for _, tc := range []struct {
		name, url, reason, substr string
	}{
		{"unreachable", "http://127.0.0.1:1", sourcev1.IndexationFailedReason, "connection refused"},
		{"corrupt", corrupt.URL(), sourcev1.IndexationFailedReason, "not a Helm repository index"},
		{"bad-yaml", badYAML.URL(), sourcev1.IndexationFailedReason, `version of chart "demo" at line 4`},
		{"oversized", huge.URL(), sourcev1.IndexationFailedReason, "larger than the size limit of 65536 bytes"},
		{"not-found", corrupt.URL() + "/nothing-here", sourcev1.IndexationFailedReason, "404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := newRepository(ns, tc.name, tc.url)
			g.Expect(env.Client.Create(ctx, obj)).To(Succeed())
			got := statuscheck.NotReady(t, env.Client, obj, tc.reason, "")
			failedFetch(g, got, tc.reason, tc.substr)
			g.Expect(got.Status.Artifact).To(BeNil())
		})
	}
	t.Run("bad URL scheme stalls", func(t *testing.T) {
		g := NewWithT(t)
		obj := newRepository(ns, "oci-url", "oci://127.0.0.1/charts")
		g.Expect(env.Client.Create(ctx, obj)).To(Succeed())
		got := statuscheck.NotReady(t, env.Client, obj, sourcev1.URLInvalidReason, "")
		g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
		g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("expected http:// or https://"))
	})
}

func TestKeepsLastGoodArtifact(t *testing.T) {
	g := NewWithT(t)
	_, srv, obj, got := readyRepository(t, g)
	good := got.Status.Artifact

	g.Expect(srv.WriteIndex([]byte("not: [an index\n"))).To(Succeed())
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = statuscheck.NotReady(t, env.Client, obj, sourcev1.IndexationFailedReason, "")
	g.Expect(got.Status.Artifact).To(Equal(good))
	g.Expect(st.Exists(*good)).To(BeTrue())

	// A vanished artifact file is stored again once the index is good.
	addVersions(t, srv)
	g.Expect(os.Remove(filepath.Join(st.Path(), good.Path))).To(Succeed())
	statuscheck.RequestReconcile(t, env.Client, obj)
	got = sourcetest.ReadyWith(t, env.Client, obj, fluxmeta.SucceededReason)
	g.Expect(got.Status.Artifact.Digest).To(Equal(good.Digest))
	g.Expect(st.Exists(*got.Status.Artifact)).To(BeTrue())
}

func TestOCIType(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	oci := func(o *sourcev1.HelmRepository) { o.Spec.Type = sourcev1.HelmRepositoryTypeOCI }
	obj := newRepository(ns, "oci", "oci://127.0.0.1:5000/charts", oci)
	g.Expect(env.Client.Create(ctx, obj)).To(Succeed())
	got := sourcetest.ReadyWith(t, env.Client, obj, fluxmeta.SucceededReason)
	g.Expect(got.Status.Artifact).To(BeNil())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("OCI repository"))

	bad := newRepository(ns, "bad", "https://127.0.0.1:5000/charts", oci)
	g.Expect(env.Client.Create(ctx, bad)).To(Succeed())
	got = statuscheck.NotReady(t, env.Client, bad, sourcev1.URLInvalidReason, "")
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
}

func TestSwitchToOCIRemovesArtifacts(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns, _, obj, got := readyRepository(t, g)

	patch := client.MergeFrom(got.DeepCopy())
	got.Spec.Type, got.Spec.URL = sourcev1.HelmRepositoryTypeOCI, "oci://127.0.0.1:5000/charts"
	g.Expect(env.Client.Patch(ctx, got, patch)).To(Succeed())
	got = statuscheck.Wait(t, env.Client, obj, func(g Gomega, o *sourcev1.HelmRepository) {
		g.Expect(o.Status.Artifact == nil && conditions.IsReady(o)).To(BeTrue())
	})
	g.Expect(conditions.Get(got, sourcev1.ArtifactInStorageCondition)).To(BeNil())
	files, err := st.List(sourcev1.HelmRepositoryKind, ns, "repo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(BeEmpty())
}

func httpGet(g *WithT, url string) string {
	resp, err := http.Get(url)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	b, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return string(b)
}
