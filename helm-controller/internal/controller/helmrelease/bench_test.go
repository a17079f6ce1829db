package helmrelease

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/benchsize"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// BenchmarkHelmReleases creates N HelmReleases (each N of FERRY_BENCH_N, 100 by default) of a one-ConfigMap chart and measures the
// time until all are Ready, the controller's peak resident memory (this process runs it) and
// the floor: the same releases installed by the Helm SDK's install action with the
// controller's parallelism, and the ratio; then the first N again with 100 extra CRDs in the
// cluster:
//
//	go test ./internal/controller/helmrelease/ -run '^$' -bench . -timeout 30m
func BenchmarkHelmReleases(b *testing.B) {
	sizes := benchsize.Sizes(b, 100)
	ns := testenv.NewNamespace(b, k8s)
	hc := benchChart(b, ns)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) { benchRound(b, hc, n) })
	}
	installExtraCRDs(b, 100)
	b.Run(fmt.Sprintf("releases=%d/crds=100", sizes[0]), func(b *testing.B) { benchRound(b, hc, sizes[0]) })
}

// benchChart serves the small chart from a HelmChart in ns.
func benchChart(b *testing.B, ns string) *sourcev1.HelmChart {
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Name: "small", Namespace: ns},
		Spec: sourcev1.HelmChartSpec{Chart: "small", Version: "*", Interval: metav1.Duration{Duration: time.Hour},
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "repo"}},
	}
	if err := k8s.Create(context.Background(), hc); err != nil {
		b.Fatal(err)
	}
	art := chartArtifact(b, "small", "0.1.0")
	setArtifact(b, hc, &art)
	return hc
}

// benchRound creates n HelmReleases in a new namespace, waits until all are Ready, reports
// the time and peak memory, then deletes them.
func benchRound(b *testing.B, hc *sourcev1.HelmChart, n int) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		ns := testenv.NewNamespace(b, k8s)
		if err := rss.Reset(0); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for j := 0; j < n; j++ {
			hr := newRelease(ns, fmt.Sprintf("r%03d", j), hc.Name, "")
			hr.Spec.ChartRef.Namespace = hc.Namespace
			if err := k8s.Create(ctx, hr); err != nil {
				b.Fatal(err)
			}
		}
		waitAllReady(b, ns, n)
		elapsed := time.Since(start)
		usage, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		floor := installFloor(b, n)
		b.ReportMetric(elapsed.Seconds(), "s-until-ready")
		b.ReportMetric(floor.Seconds(), "s/floor")
		b.ReportMetric(elapsed.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(rss.MiB(usage.Peak), "MiB-peak-rss")
		b.ReportMetric(rss.MiB(usage.Current), "MiB-rss")
		b.StopTimer()
		if err := k8s.DeleteAllOf(ctx, &helmv2.HelmRelease{}, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		waitGone(b, ns)
		b.StartTimer()
	}
}

// waitAllReady waits until the n HelmReleases of ns are Ready.
func waitAllReady(b *testing.B, ns string, n int) {
	pollReleases(b, ns, fmt.Sprintf("all %d Ready", n), func(items []helmv2.HelmRelease) bool {
		ready := 0
		for i := range items {
			if conditions.IsReady(&items[i]) {
				ready++
			}
		}
		return ready == n
	})
}

// waitGone waits until ns holds no HelmRelease.
func waitGone(b *testing.B, ns string) {
	pollReleases(b, ns, "none left", func(items []helmv2.HelmRelease) bool { return len(items) == 0 })
}

// pollReleases lists the HelmReleases of ns until done holds, for at most ten minutes.
func pollReleases(b *testing.B, ns, what string, done func([]helmv2.HelmRelease) bool) {
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 10*time.Minute, true,
		func(ctx context.Context) (bool, error) {
			var list helmv2.HelmReleaseList
			if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
				return false, err
			}
			return done(list.Items), nil
		})
	if err != nil {
		b.Fatalf("HelmReleases of %s: not %s: %v", ns, what, err)
	}
}

// extraCRD is a namespaced CRD with a described schema, so that the cluster's OpenAPI
// document grows as it does with real CRDs.
const extraCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.x%[1]d.helm-bench.ferry.test
spec:
  group: x%[1]d.helm-bench.ferry.test
  scope: Namespaced
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
%[2]s`

// installExtraCRDs creates n CRDs and waits until they are all served.
func installExtraCRDs(b *testing.B, n int) {
	ctx := context.Background()
	var props string
	for p := 0; p < 30; p++ {
		props += fmt.Sprintf("              p%02d: {type: string, description: \"Property %d of a CRD that only makes the OpenAPI document bigger.\"}\n", p, p)
	}
	for i := 0; i < n; i++ {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(fmt.Sprintf(extraCRD, i, props)), &u.Object); err != nil {
			b.Fatal(err)
		}
		if err := client.IgnoreAlreadyExists(k8s.Create(ctx, u)); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(testenv.RolloutTimeout)
	for i := 0; i < n; i++ {
		for {
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion(fmt.Sprintf("x%d.helm-bench.ferry.test/v1", i))
			list.SetKind("WidgetList")
			err := k8s.List(ctx, list, client.InNamespace(corev1.NamespaceDefault))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("CRD %d not served: %v", i, err)
			}
			time.Sleep(testenv.Interval)
		}
	}
}
