package helmchart_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// appFiles is a source tree with a chart, a local library dependency and an environment's
// values file outside the chart.
func appFiles(replicas string) map[string]string {
	return map[string]string{
		"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
			"- name: lib\n  version: 0.2.0\n  repository: file://../lib\n",
		"charts/app/values.yaml":         "replicas: " + replicas + "\nenv: dev\n",
		"charts/app/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
		"charts/lib/Chart.yaml":          "apiVersion: v2\nname: lib\nversion: 0.2.0\ntype: library\n",
		"charts/broken/Chart.yaml":       "apiVersion: v2\nname: broken\nversion: 0.1.0\ndependencies:\n- name: gone\n  version: 1.0.0\n",
		"env/prod.yaml":                  "env: prod\n",
		"charts/app/templates/NOTES.txt": "hello",
	}
}

func newArtifactServer(t *testing.T) *artifactserver.Server {
	t.Helper()
	srv, err := artifactserver.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// setArtifact makes a source Ready with the artifact a, through the status subresource.
func setArtifact(g *WithT, obj object, a fluxmeta.Artifact) {
	switch o := obj.(type) {
	case *sourcev1.GitRepository:
		o.Status.Artifact = &a
	case *sourcev1.Bucket:
		o.Status.Artifact = &a
	}
	obj.GetObjectStatus().ObservedGeneration = obj.GetGeneration()
	conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact")
	g.Expect(env.Client.Status().Update(context.Background(), obj)).To(Succeed())
}

func TestPackageFromGitRepository(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newArtifactServer(t)
	rev1 := "main@sha1:" + strings.Repeat("a1b2c3d4e5", 4)
	a1, err := srv.ArtifactFromFiles("git/1", appFiles("1"), rev1)
	g.Expect(err).NotTo(HaveOccurred())
	git := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git"},
		Spec: sourcev1.GitRepositorySpec{URL: "https://example.com/app.git", Interval: metav1.Duration{Duration: time.Hour}}}
	create(g, git)
	setArtifact(g, git, a1)
	byVersion := newChart(ns, "by-version", sourcev1.GitRepositoryKind, "git", "./charts/app", func(o *sourcev1.HelmChart) {
		o.Spec.ValuesFiles = []string{"charts/app/values.yaml", "env/prod.yaml"}
	})
	byRevision := newChart(ns, "by-revision", sourcev1.GitRepositoryKind, "git", "charts/app", func(o *sourcev1.HelmChart) {
		o.Spec.ReconcileStrategy = sourcev1.ReconcileStrategyRevision
	})
	noPath := newChart(ns, "no-path", sourcev1.GitRepositoryKind, "git", "charts/nothing")
	broken := newChart(ns, "broken", sourcev1.GitRepositoryKind, "git", "charts/broken")
	create(g, byVersion, byRevision, noPath, broken)

	got := sourcetest.ReadyWith(t, env.Client, byVersion, sourcev1.ChartPackageSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("0.1.0"))
	g.Expect(got.Status.ObservedSourceArtifactRevision).To(Equal(rev1))
	g.Expect(got.Status.ObservedValuesFiles).To(Equal([]string{"charts/app/values.yaml", "env/prod.yaml"}))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("packaged 'app' chart with version '0.1.0'"))
	c := loadArtifact(g, got.Status.Artifact)
	g.Expect(c.Values).To(HaveKeyWithValue("env", "prod"))
	g.Expect(c.Values["replicas"]).To(BeNumerically("==", 1))
	g.Expect(c.Dependencies()).To(HaveLen(1))
	g.Expect(c.Dependencies()[0].Name()).To(Equal("lib"))
	versionArtifact := got.Status.Artifact.DeepCopy()

	got = sourcetest.ReadyWith(t, env.Client, byRevision, sourcev1.ChartPackageSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("0.1.0+a1b2c3d4e5a1"))
	g.Expect(loadArtifact(g, got.Status.Artifact).Metadata.Version).To(Equal("0.1.0+a1b2c3d4e5a1"))

	got = statuscheck.NotReady(t, env.Client, noPath, helmchart.InvalidChartReferenceReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`no chart at path "charts/nothing"`))
	got = statuscheck.NotReady(t, env.Client, broken, helmchart.DependencyBuildErrorReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`dependency "gone" has no repository`))

	// A new commit with the same chart version: a new artifact for the Revision strategy only.
	rev2 := "main@sha1:" + strings.Repeat("f0e1d2c3b4", 4)
	a2, err := srv.ArtifactFromFiles("git/2", appFiles("2"), rev2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Get(context.Background(), clientKey(git), git)).To(Succeed())
	setArtifact(g, git, a2)
	got = statuscheck.Wait(t, env.Client, byRevision, func(g Gomega, o chartObj) { g.Expect(o.Status.Artifact.Revision == "0.1.0+f0e1d2c3b4f0").To(BeTrue()) })
	g.Expect(loadArtifact(g, got.Status.Artifact).Values["replicas"]).To(BeNumerically("==", 2))
	got = statuscheck.Wait(t, env.Client, byVersion, func(g Gomega, o chartObj) { g.Expect(o.Status.ObservedSourceArtifactRevision == rev2).To(BeTrue()) })
	g.Expect(got.Status.Artifact).To(Equal(versionArtifact))
}

func TestPackageFromBucket(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newArtifactServer(t)
	files := map[string]string{}
	for p, c := range appFiles("1") {
		files[strings.TrimPrefix(p, "charts/")] = c
	}
	rev := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	a, err := srv.ArtifactFromFiles("bucket/1", files, rev)
	g.Expect(err).NotTo(HaveOccurred())
	bucket := &sourcev1.Bucket{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bucket"},
		Spec: sourcev1.BucketSpec{BucketName: "charts", Endpoint: "127.0.0.1:9000", Interval: metav1.Duration{Duration: time.Hour}}}
	create(g, bucket)
	setArtifact(g, bucket, a)
	chart := newChart(ns, "app", sourcev1.BucketKind, "bucket", "app", func(o *sourcev1.HelmChart) {
		o.Spec.ReconcileStrategy = sourcev1.ReconcileStrategyRevision
	})
	create(g, chart)
	got := sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPackageSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("0.1.0+0123456789ab"))
	g.Expect(got.Status.ObservedSourceArtifactRevision).To(Equal(rev))
}
