package helmchart_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestSuspendAndInterval checks spec.suspend and spec.interval with a chart of an OCI
// HelmRepository, which has no artifact whose change would wake the chart: a suspended chart
// asks nothing of the registry; resumed, it is Ready and then follows a new chart version by
// itself after its interval; suspended again, it follows no more.
func TestSuspendAndInterval(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{})
	pushChart(g, reg, "1.0.0")
	repo := newRepository(ns, "oci", reg.OCIURL("charts"))
	repo.Spec.Type = sourcev1.HelmRepositoryTypeOCI
	chart := newChart(ns, "demo", sourcev1.HelmRepositoryKind, "oci", "demo", func(o *sourcev1.HelmChart) {
		o.Spec.Suspend, o.Spec.Interval = true, metav1.Duration{Duration: time.Second}
	})
	reg.ResetCounts()
	create(g, repo, chart)
	g.Consistently(func() int {
		got := &sourcev1.HelmChart{}
		g.Expect(env.Client.Get(context.Background(), clientKey(chart), got)).To(Succeed())
		return len(got.Status.Conditions)
	}, 2*time.Second, testenv.Interval).Should(BeZero())
	g.Expect(reg.Counts()).To(Equal(testregistry.Counts{}))

	statuscheck.Update(t, env.Client, chart, func(o chartObj) { o.Spec.Suspend = false })
	got := sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
	pushChart(g, reg, "1.1.0")
	got = statuscheck.Wait(t, env.Client, chart, func(g Gomega, o chartObj) { g.Expect(o.Status.Artifact.Revision == "1.1.0").To(BeTrue()) })

	statuscheck.Update(t, env.Client, chart, func(o chartObj) { o.Spec.Suspend = true })
	time.Sleep(2 * time.Second) // a reconcile already running ends
	pushChart(g, reg, "1.2.0")
	reg.ResetCounts()
	g.Consistently(reg.Counts, 3*time.Second, testenv.Interval).Should(Equal(testregistry.Counts{}))
	g.Expect(env.Client.Get(context.Background(), clientKey(chart), got)).To(Succeed())
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.1.0"))
}
