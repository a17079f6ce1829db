// Package uibench measures `ferry ui` on a large cluster: 2,000 Kustomizations holding
// 10,000 inventory entries in an API server without controllers (only their status is
// written), the page opened in headless Chromium.
package uibench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/browser"
	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const repoRoot = "../.."

// The size of the cluster measured.
const (
	namespaces        = 20
	perNamespace      = 100 // Kustomizations per namespace: 2,000 in all
	inventoryPerKs    = 5   // 10,000 inventory entries in all
	failedEveryNth    = 50  // one Kustomization in 50 is Ready=False
	seedWorkers       = 16
	renderDeadline    = 2 * time.Minute
	kustomizationsAPI = "kustomize.toolkit.fluxcd.io/v1"
)

var env *testenv.Env

// TestMain starts an API server holding deploy/crds when benchmarks run, and nothing for
// `go test` without -bench.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, testenv.Options{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "deploy", "crds")},
		ErrorIfCRDPathMissing: true,
		Setup:                 func(e *testenv.Env) error { env = e; return nil },
	}))
}

// BenchmarkUI2000Kustomizations creates 2,000 Kustomizations with 10,000 inventory entries,
// runs bin/ferry ui and opens it in headless Chromium. It reports the time until ferry ui
// has listed everything and prints its URL, the page's time to first render (from the
// start of navigation), the page's JS heap, the time to expand every namespace of the
// Kustomizations column and the heap then, and the resident memory of ferry ui.
func BenchmarkUI2000Kustomizations(b *testing.B) {
	seed(b)
	bin, err := fleet.Binaries(context.Background(), repoRoot, b.TempDir(), os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		start := time.Now()
		ui := browser.StartUI(b, bin, env.Kubeconfig)
		listed := time.Since(start)
		ctx := browser.New(b)
		if err := chromedp.Run(ctx, chromedp.Navigate(ui.URL)); err != nil {
			b.Fatal(err)
		}
		if err := browser.WaitJS(ctx, `document.body.dataset.ready === "true"`, renderDeadline); err != nil {
			b.Fatal(err)
		}
		var first struct {
			At    float64 `json:"at"`
			Took  float64 `json:"took"`
			Nodes int     `json:"nodes"`
		}
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.ferryFirstRender`, &first)); err != nil {
			b.Fatal(err)
		}
		if first.Nodes != namespaces*(perNamespace+1) {
			b.Fatalf("the page shows %d nodes, want %d", first.Nodes, namespaces*(perNamespace+1))
		}
		heap := heapMB(b, ctx)
		browser.Screenshot(b, ctx, browser.ScreenshotDir(b), "bench-2000-first-render")
		expand, expandedHeap := expandAll(b, ctx)
		b.ReportMetric(listed.Seconds()*1000, "ms-listed")
		b.ReportMetric(first.At, "ms-first-render")
		b.ReportMetric(heap, "MB-js-heap")
		b.ReportMetric(expand, "ms-expand-all")
		b.ReportMetric(expandedHeap, "MB-js-heap-expanded")
		b.ReportMetric(rssMB(b, ui.PID), "MB-ferry-ui-rss")
	}
}

// heapMB returns the page's used JS heap, in MB, after a garbage collection.
func heapMB(b *testing.B, ctx context.Context) float64 {
	var used float64
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		return heapprofiler.CollectGarbage().Do(ctx)
	}), chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		used, _, _, _, err = runtime.GetHeapUsage().Do(ctx)
		return err
	}))
	if err != nil {
		b.Fatal(err)
	}
	return used / 1e6
}

// expandAll opens every collapsed namespace of the Kustomizations column and returns how
// long the page took to draw them, in ms, and the JS heap then, in MB.
func expandAll(b *testing.B, ctx context.Context) (float64, float64) {
	var took float64
	const expr = `new Promise((resolve) => {
		const t0 = performance.now();
		for (const h of document.querySelectorAll(".column[data-layer='delivery'] .group.collapsed .group-head")) h.click();
		requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
	})`
	err := chromedp.Run(ctx, chromedp.Evaluate(expr, &took, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err != nil {
		b.Fatal(err)
	}
	want := fmt.Sprintf(`document.querySelectorAll(".column[data-layer='delivery'] .card[data-id]").length === %d`, namespaces*perNamespace)
	if err := browser.WaitJS(ctx, want, renderDeadline); err != nil {
		b.Fatal(err)
	}
	return took, heapMB(b, ctx)
}

// rssMB returns the resident memory of process pid, in MB.
func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1000
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// seed creates the namespaces, one GitRepository each and the Kustomizations, with their
// status written as kustomize-controller would, through several clients at once.
func seed(b *testing.B) {
	b.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	work := make(chan func() error)
	var wg sync.WaitGroup
	errs := make(chan error, seedWorkers)
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := f(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range namespaces {
		ns := fmt.Sprintf("bench-%02d", i)
		if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			b.Fatal(err)
		}
		work <- func() error { return createObject(c, gitRepository(ns)) }
		for j := range perNamespace {
			work <- func() error { return createObject(c, kustomization(ns, j)) }
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.Logf("created %d Kustomizations with %d inventory entries in %s", namespaces*perNamespace,
		namespaces*perNamespace*inventoryPerKs, time.Since(start).Round(time.Second))
}

// createObject creates o and then writes its status.
func createObject(c client.Client, o *unstructured.Unstructured) error {
	status := o.Object["status"]
	delete(o.Object, "status")
	ctx := context.Background()
	if err := c.Create(ctx, o); err != nil {
		return fmt.Errorf("failed to create %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	data, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	if err := c.Status().Patch(ctx, o, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("failed to write the status of %s/%s: %w", o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// gitRepository returns the GitRepository of namespace ns, Ready with an artifact.
func gitRepository(ns string) *unstructured.Unstructured {
	now := time.Now().UTC().Format(time.RFC3339)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"namespace": ns, "name": "fleet"},
		"spec":     map[string]any{"interval": "10m", "url": "https://git.example.com/fleet"},
		"status": map[string]any{"observedGeneration": 1,
			"conditions": []any{condition("True", "Succeeded", "stored artifact for revision 'main@sha1:0123'", now)},
			"artifact": map[string]any{"path": "x.tar.gz", "url": "http://storage/x.tar.gz", "revision": "main@sha1:0123",
				"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "lastUpdateTime": now}},
	}}
}

// kustomization returns Kustomization j of namespace ns with an inventory of
// inventoryPerKs objects; one in failedEveryNth is Ready=False.
func kustomization(ns string, j int) *unstructured.Unstructured {
	now := time.Now().UTC().Format(time.RFC3339)
	name := fmt.Sprintf("app-%03d", j)
	var entries []any
	for k := range inventoryPerKs {
		kind, group := "ConfigMap", ""
		switch k {
		case 0:
			kind, group = "Deployment", "apps"
		case 1:
			kind = "Service"
		}
		entries = append(entries, map[string]any{"id": fmt.Sprintf("%s_%s-%d_%s_%s", ns, name, k, group, kind), "v": "v1"})
	}
	cond := condition("True", "ReconciliationSucceeded", "Applied revision: main@sha1:0123", now)
	if j%failedEveryNth == 0 {
		cond = condition("False", "BuildFailed", "kustomize build failed: accumulating resources: missing.yaml", now)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kustomizationsAPI, "kind": "Kustomization",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"interval": "10m", "path": "./apps/" + name, "prune": true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "fleet"}},
		"status": map[string]any{"observedGeneration": 1, "conditions": []any{cond},
			"lastAppliedRevision": "main@sha1:0123", "inventory": map[string]any{"entries": entries}},
	}}
}

// condition returns a Ready condition.
func condition(status, reason, message, at string) map[string]any {
	return map[string]any{"type": "Ready", "status": status, "reason": reason, "message": message, "lastTransitionTime": at}
}
