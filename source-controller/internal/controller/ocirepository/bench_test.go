package ocirepository

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchObjects is how many OCIRepositories the benchmark reconciles: 100, or
// $FERRY_BENCH_N (for example 500).
func benchObjects(b *testing.B) int {
	if v := os.Getenv("FERRY_BENCH_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("FERRY_BENCH_N=%q is not a positive number", v)
		}
		return n
	}
	return 100
}

// BenchmarkReconcileMany creates N OCIRepositories, each on its own repository of the
// in-process registry, and measures the seconds until all are Ready and the peak RSS of the
// process (controller, API client and registry together); then it asks all of them to
// reconcile again with unchanged tags and measures the seconds until all are handled and the
// blob pulls that cost (0 expected).
func BenchmarkReconcileMany(b *testing.B) {
	n := benchObjects(b)
	r := registry.New(b, registry.Options{})
	for i := range n {
		if _, err := r.PushFiles(fmt.Sprintf("app%d", i), "latest", map[string]string{
			"deploy/app.yaml": fmt.Sprintf("kind: ConfigMap\nmetadata:\n  name: app%d\n", i)}, "", ""); err != nil {
			b.Fatal(err)
		}
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ns := testenv.NewNamespace(b, env.Client)
		r.ResetCounts()
		debug.FreeOSMemory() // what the pushes left behind is not the controller's
		if err := rss.Reset(0); err != nil {
			b.Fatal(err)
		}
		before, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		createAll(b, c, ns, n, r)
		created := time.Since(start)
		waitAll(b, c, ns, n, func(o *sourcev1.OCIRepository) bool { return conditions.IsReady(o) })
		ready := time.Since(start)
		usage, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		pulls := r.Counts().BlobGets

		r.ResetCounts()
		start = time.Now()
		token := requestAll(b, c, ns)
		waitAll(b, c, ns, n, func(o *sourcev1.OCIRepository) bool { return o.Status.LastHandledReconcileAt == token })
		resync := time.Since(start)

		b.ReportMetric(float64(n), "objects")
		b.ReportMetric(created.Seconds(), "s-to-create")
		b.ReportMetric(ready.Seconds(), "s-to-all-ready")
		b.ReportMetric(rss.MiB(before.Current), "start-RSS-MiB")
		b.ReportMetric(rss.MiB(usage.Peak), "peak-RSS-MiB")
		b.ReportMetric(float64(pulls), "blob-pulls-first")
		b.ReportMetric(resync.Seconds(), "s-to-all-resynced")
		b.ReportMetric(float64(r.Counts().BlobGets), "blob-pulls-resync")
		b.ReportMetric(float64(r.Counts().ManifestHeads), "manifest-heads-resync")
		if err := c.DeleteAllOf(context.Background(), &sourcev1.OCIRepository{}, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		waitAll(b, c, ns, 0, nil)
	}
}

// createAll creates n OCIRepositories in ns, 16 at a time.
func createAll(b *testing.B, c client.Client, ns string, n int, r *registry.Registry) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			obj := &sourcev1.OCIRepository{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app%d", i), Namespace: ns},
				Spec:       sourcev1.OCIRepositorySpec{URL: r.OCIURL(fmt.Sprintf("app%d", i)), Interval: metav1.Duration{Duration: time.Hour}},
			}
			if err := c.Create(context.Background(), obj); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// requestAll sets the same requestedAt token on every OCIRepository of ns and returns it.
func requestAll(b *testing.B, c client.Client, ns string) string {
	token := time.Now().Format(time.RFC3339Nano)
	list := &sourcev1.OCIRepositoryList{}
	if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	for i := range list.Items {
		obj := &list.Items[i]
		p := client.MergeFrom(obj.DeepCopy())
		obj.Annotations = map[string]string{"reconcile.fluxcd.io/requestedAt": token}
		if err := c.Patch(context.Background(), obj, p); err != nil {
			b.Fatal(err)
		}
	}
	return token
}

// waitAll polls until ns holds want OCIRepositories that all satisfy ok (nil: any).
func waitAll(b *testing.B, c client.Client, ns string, want int, ok func(*sourcev1.OCIRepository) bool) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		list := &sourcev1.OCIRepositoryList{}
		if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		done := 0
		for i := range list.Items {
			if ok == nil || ok(&list.Items[i]) {
				done++
			}
		}
		if len(list.Items) == want && done == want {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d OCIRepositories done after 10m", done, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
