package helmchart_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

type chartObj = *sourcev1.HelmChart
type repoObj = *sourcev1.HelmRepository

func demo(version string) map[string]string { return helmrepo.ChartFiles("demo", version) }

func TestPullFromRepositoryFollowsTheIndex(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, demo("1.0.0"), demo("1.1.0"), demo("2.0.0-rc.1"))
	repo := newRepository(ns, "repo", srv.URL())
	chart := newChart(ns, "demo", sourcev1.HelmRepositoryKind, "repo", "demo")
	create(g, repo, chart)

	repo = sourcetest.ReadyWith(t, env.Client, repo, fluxmeta.SucceededReason)
	got := sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.1.0"))
	g.Expect(got.Status.Artifact.Path).To(HavePrefix("helmchart/" + ns + "/demo/"))
	g.Expect(got.Status.ObservedChartName).To(Equal("demo"))
	g.Expect(got.Status.ObservedSourceArtifactRevision).To(Equal(repo.Status.Artifact.Revision))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("pulled 'demo' chart with version '1.1.0'"))
	g.Expect(conditions.IsTrue(got, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	c := loadArtifact(g, got.Status.Artifact)
	g.Expect(c.Name()).To(Equal("demo"))
	g.Expect(c.Metadata.Version).To(Equal("1.1.0"))

	// An unchanged index and chart: no new download, no new artifact.
	first := got.Status.Artifact.DeepCopy()
	got = statuscheck.RequestReconcile(t, env.Client, chart)
	g.Expect(got.Status.Artifact).To(Equal(first))
	g.Expect(srv.Served("/demo-1.1.0.tgz")).To(Equal(int64(1)))

	// A vanished artifact file is stored again (same content, same digest).
	g.Expect(os.Remove(filepath.Join(st.Path(), first.Path))).To(Succeed())
	got = statuscheck.RequestReconcile(t, env.Client, chart)
	g.Expect(got.Status.Artifact.Digest).To(Equal(first.Digest))
	g.Expect(st.Exists(*got.Status.Artifact)).To(BeTrue())

	// A new version in the index reaches the chart through the watch on the repository.
	publish(t, srv, demo("1.2.0"))
	statuscheck.RequestReconcile(t, env.Client, repo)
	got = statuscheck.Wait(t, env.Client, chart, func(g Gomega, o chartObj) { g.Expect(o.Status.Artifact.Revision == "1.2.0").To(BeTrue()) })
	g.Expect(conditions.IsReady(got)).To(BeTrue())

	g.Expect(env.Client.Delete(ctx, got)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(chart), &sourcev1.HelmChart{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	files, err := st.List(sourcev1.HelmChartKind, ns, "demo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(BeEmpty())
}

func TestPullVersionRangeValuesFilesAndAuth(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	withProd := demo("1.0.1")
	withProd["values-prod.yaml"] = "replicas: 3\nimage:\n  tag: \"2.0\"\n"
	srv := newServer(t, helmrepo.Options{Username: "u", Password: "p", TLS: true}, demo("1.0.0"), withProd, demo("1.1.0"))
	g.Expect(env.Client.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auth"},
		Data: map[string][]byte{"username": []byte("u"), "password": []byte("p"), "ca.crt": srv.CAPEM()}})).To(Succeed())
	repo := newRepository(ns, "repo", srv.URL())
	repo.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "auth"}
	values := func(files []string, ignore bool) func(*sourcev1.HelmChart) {
		return func(o *sourcev1.HelmChart) {
			o.Spec.Version, o.Spec.ValuesFiles, o.Spec.IgnoreMissingValuesFiles = "1.0.x", files, ignore
		}
	}
	merged := newChart(ns, "merged", sourcev1.HelmRepositoryKind, "repo", "demo", values([]string{"values.yaml", "values-prod.yaml"}, false))
	ignoring := newChart(ns, "ignoring", sourcev1.HelmRepositoryKind, "repo", "demo", values([]string{"values-prod.yaml", "missing.yaml"}, true))
	missing := newChart(ns, "missing", sourcev1.HelmRepositoryKind, "repo", "demo", values([]string{"missing.yaml"}, false))
	create(g, repo, merged, ignoring, missing)

	got := sourcetest.ReadyWith(t, env.Client, merged, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.1"))
	g.Expect(got.Status.ObservedValuesFiles).To(Equal([]string{"values.yaml", "values-prod.yaml"}))
	c := loadArtifact(g, got.Status.Artifact)
	g.Expect(c.Values["replicas"]).To(BeNumerically("==", 3))
	g.Expect(c.Values["image"]).To(Equal(map[string]any{"repository": "example/app", "tag": "2.0"}))

	got = sourcetest.ReadyWith(t, env.Client, ignoring, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.ObservedValuesFiles).To(Equal([]string{"values-prod.yaml"}))
	first := got.Status.Artifact.DeepCopy()
	got = statuscheck.RequestReconcile(t, env.Client, ignoring)
	g.Expect(got.Status.Artifact).To(Equal(first), "a rebuilt chart with the same content is not a new artifact")

	got = statuscheck.NotReady(t, env.Client, missing, helmchart.ValuesFilesErrorReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`values file "missing.yaml" not found`))
	g.Expect(conditions.IsTrue(got, sourcev1.BuildFailedCondition)).To(BeTrue())
}

func TestPullBadInput(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, demo("1.0.0"))
	repo := newRepository(ns, "repo", srv.URL())
	unreachable := newRepository(ns, "unreachable", "http://127.0.0.1:1")
	version := func(v string) func(*sourcev1.HelmChart) { return func(o *sourcev1.HelmChart) { o.Spec.Version = v } }
	noVersion := newChart(ns, "no-version", sourcev1.HelmRepositoryKind, "repo", "demo", version("9.x"))
	noChart := newChart(ns, "no-chart", sourcev1.HelmRepositoryKind, "repo", "other")
	badRange := newChart(ns, "bad-range", sourcev1.HelmRepositoryKind, "repo", "demo", version("latest"))
	noSource := newChart(ns, "no-source", sourcev1.HelmRepositoryKind, "nonexistent", "demo")
	noArtifact := newChart(ns, "no-artifact", sourcev1.HelmRepositoryKind, "unreachable", "demo")
	create(g, repo, unreachable, noVersion, noChart, badRange, noSource, noArtifact)

	for _, tc := range []struct {
		obj    *sourcev1.HelmChart
		reason string
		msg    []string
	}{
		{noVersion, helmchart.InvalidChartReferenceReason, []string{`no version of chart "demo" matches "9.x"`, "newest: 1.0.0", "HelmRepository 'repo'"}},
		{noChart, helmchart.InvalidChartReferenceReason, []string{`no chart named "other"`}},
	} {
		got := statuscheck.NotReady(t, env.Client, tc.obj, tc.reason, "")
		for _, m := range tc.msg {
			g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(m))
		}
		g.Expect(conditions.IsTrue(got, sourcev1.BuildFailedCondition)).To(BeTrue())
		g.Expect(conditions.IsTrue(got, fluxmeta.ReconcilingCondition)).To(BeTrue())
	}
	got := statuscheck.NotReady(t, env.Client, badRange, helmchart.InvalidChartReferenceReason, "")
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())

	for _, tc := range []struct {
		obj         *sourcev1.HelmChart
		reason, msg string
	}{
		{noSource, helmchart.SourceUnavailableReason, "Source 'HelmRepository/" + ns + "/nonexistent' not found"},
		{noArtifact, helmchart.NoSourceArtifactReason, "no artifact available for HelmRepository source"},
	} {
		got := statuscheck.NotReady(t, env.Client, tc.obj, tc.reason, "")
		g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(tc.msg))
		g.Expect(conditions.Get(got, fluxmeta.ReconcilingCondition).Reason).To(Equal(fluxmeta.ProgressingReason))
	}

	// The missing repository appears: the waiting chart is woken by the watch.
	create(g, newRepository(ns, "nonexistent", srv.URL()))
	sourcetest.ReadyWith(t, env.Client, noSource, sourcev1.ChartPullSucceededReason)
}

// TestSourceRefAPIVersion accepts any version of the source API group in sourceRef.apiVersion
// (HelmReleases copy theirs into their HelmCharts) and stalls on another group.
func TestSourceRefAPIVersion(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, demo("1.0.0"))
	apiVersion := func(v string) func(*sourcev1.HelmChart) {
		return func(o *sourcev1.HelmChart) { o.Spec.SourceRef.APIVersion = v }
	}
	v1 := newChart(ns, "v1", sourcev1.HelmRepositoryKind, "repo", "demo", apiVersion("source.toolkit.fluxcd.io/v1"))
	v1beta2 := newChart(ns, "v1beta2", sourcev1.HelmRepositoryKind, "repo", "demo", apiVersion("source.toolkit.fluxcd.io/v1beta2"))
	other := newChart(ns, "other", sourcev1.HelmRepositoryKind, "repo", "demo", apiVersion("example.com/v1"))
	create(g, newRepository(ns, "repo", srv.URL()), v1, v1beta2, other)

	for _, c := range []chartObj{v1, v1beta2} {
		got := sourcetest.ReadyWith(t, env.Client, c, sourcev1.ChartPullSucceededReason)
		g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
	}
	got := statuscheck.NotReady(t, env.Client, other, fluxmeta.UnsupportedSpecReason, "")
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("invalid sourceRef.apiVersion 'example.com/v1'"))
	g.Expect(got.Status.Artifact).To(BeNil())
}

// TestVerifyIsRefused stalls a chart of an HTTP repository that asks for signature
// verification, which Ferry, as Flux, does only for OCI charts, before the chart is
// downloaded: no unverified chart is ever served.
func TestVerifyIsRefused(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, demo("1.0.0"))
	repo := newRepository(ns, "repo", srv.URL())
	chart := newChart(ns, "verified", sourcev1.HelmRepositoryKind, "repo", "demo", func(o *sourcev1.HelmChart) {
		o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign,
			SecretRef: &fluxmeta.LocalObjectReference{Name: "cosign-keys"}}
	})
	create(g, repo, chart)
	sourcetest.ReadyWith(t, env.Client, repo, fluxmeta.SucceededReason)
	got := statuscheck.NotReady(t, env.Client, chart, fluxmeta.UnsupportedSpecReason, "")
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix(
		"spec.verify is not supported by Ferry for charts from a HelmRepository of type default"))
	g.Expect(got.Status.Artifact).To(BeNil())
	g.Expect(srv.Served("/demo-1.0.0.tgz")).To(BeZero())
}
