package helmrelease

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestChartRefExternalArtifact: spec.chartRef names an ExternalArtifact holding a chart
// directory (as an ArtifactGenerator composes one, values merged in), whose producer does not
// set observedGeneration; the release installs it, and a new artifact of the same chart
// version (other values) upgrades it.
func TestChartRefExternalArtifact(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	ea := &sourcev1.ExternalArtifact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app-composite"}}
	g.Expect(k8s.Create(ctx, ea)).To(Succeed())
	first := composedChart(t, ns+"/first", "message: one\nconfigMap: true\n")
	setExternalArtifact(t, ea, first)

	hr := newRelease(ns, "app", "app-composite", "")
	hr.Spec.ChartRef.Kind = sourcev1.ExternalArtifactKind
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.LastAttemptedRevisionDigest).To(Equal(first.Digest))
	g.Expect(configMessage(t, ns, "app-config")).To(Equal("one"))

	second := composedChart(t, ns+"/second", "message: two\nconfigMap: true\n")
	setExternalArtifact(t, ea, second)
	got = statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue())
		g.Expect(cur.Status.LastAttemptedRevisionDigest).To(Equal(second.Digest))
	})
	g.Expect(got.Status.History.Latest().Version).To(Equal(2))
	g.Expect(configMessage(t, ns, "app-config")).To(Equal("two"))
}

// composedChart publishes the chart testdata/charts/app, as the directory app/ with values
// merged into its values.yaml, and returns the artifact with a content revision.
func composedChart(t *testing.T, name, values string) fluxmeta.Artifact {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "charts", "app")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "values.yaml" {
			data = append(data, []byte(values)...)
		}
		dest := filepath.Join(dir, "app", rel)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dest, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := artifacts.ArtifactFromDir(name, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	a.Revision = "latest@" + a.Digest
	return a
}

// setExternalArtifact writes a into the ExternalArtifact's status, Ready, as a third-party
// producer would: without status.observedGeneration.
func setExternalArtifact(t *testing.T, ea *sourcev1.ExternalArtifact, a fluxmeta.Artifact) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(ea), ea); err != nil {
			return err
		}
		ea.Status.Artifact = &a
		conditions.MarkTrue(ea, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact for revision "+a.Revision)
		return k8s.Status().Update(context.Background(), ea)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}

// configMessage returns data.message of the ConfigMap ns/name.
func configMessage(t *testing.T, ns, name string) string {
	t.Helper()
	cm := &corev1.ConfigMap{}
	NewWithT(t).Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm)).To(Succeed())
	return cm.Data["message"]
}
