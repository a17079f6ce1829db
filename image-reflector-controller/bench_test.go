package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/policy"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is the API server of the scale benchmark; nil when no benchmark runs.
var env *testenv.Env

// TestMain starts an API server with the CRDs only when benchmarks run (go test -bench).
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), imagev1.AddToScheme(scheme)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(testenv.Run(m, testenv.Options{Scheme: scheme, CRDDirectoryPaths: []string{"../deploy/crds"}, ErrorIfCRDPathMissing: true,
		Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// benchSize is how many ImageRepositories (each with one ImagePolicy) the benchmark runs, and
// how many tags each has: 100 × 1,000, or $FERRY_BENCH_N × $FERRY_BENCH_TAGS (the issue's
// scale: FERRY_BENCH_N=1000).
func benchSize(b *testing.B) (repos, tags int) {
	get := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q is not a positive number", name, v)
		}
		return n
	}
	return get("FERRY_BENCH_N", 100), get("FERRY_BENCH_TAGS", 1000)
}

// BenchmarkScale runs the controller binary, with deploy/'s flags, against N
// ImageRepositories of T tags each (served by a minimal tags-list endpoint) and one semver
// ImagePolicy per repository. It measures the time until every object is Ready, the
// controller's peak RSS and the bytes of its tag store; then it restarts the controller and
// measures the registry calls the restart costs (0 expected: no interval has elapsed) and
// the RSS once every object was reconciled again with its tags read from the store.
func BenchmarkScale(b *testing.B) {
	repos, tags := benchSize(b)
	bin := controllerBinary(b)
	srv := startTagServer(b, tags)
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ns := testenv.NewNamespace(b, env.Client)
		store := b.TempDir()
		start := time.Now()
		createObjects(b, c, ns, repos, srv.host)
		created := time.Since(start)
		start = time.Now()
		p := startController(b, bin, store)
		waitAll(b, c, ns, repos)
		ready := time.Since(start)
		first, err := rss.Of(p.pid())
		if err != nil {
			b.Fatal(err)
		}
		disk := diskUsage(b, store)
		calls := srv.calls.Load()
		p.stop(b)

		srv.calls.Store(0)
		restart := time.Now()
		p = startController(b, bin, store)
		p.waitReconciled(b, repos)
		again := time.Since(restart)
		second, err := rss.Of(p.pid())
		if err != nil {
			b.Fatal(err)
		}
		restartCalls := srv.calls.Load()
		p.stop(b)

		rows := []row{
			{"ImageRepositories × tags", fmt.Sprintf("%d × %d", repos, tags)},
			{"ImagePolicies (semver)", strconv.Itoa(repos)},
			{"time to create the objects (before the controller starts)", created.Round(100 * time.Millisecond).String()},
			{"time from the controller's start to all Ready", ready.Round(100 * time.Millisecond).String()},
			{"registry requests (first run)", strconv.FormatInt(calls, 10)},
			{"peak RSS of the controller", fmt.Sprintf("%.1f MiB", rss.MiB(first.Peak))},
			{"RSS when all are Ready", fmt.Sprintf("%.1f MiB", rss.MiB(first.Current))},
			{"tag store on disk", fmt.Sprintf("%.1f MiB (%d bytes)", float64(disk)/(1<<20), disk)},
			{"restart: time until all reconciled", again.Round(100 * time.Millisecond).String()},
			{"restart: registry requests", strconv.FormatInt(restartCalls, 10)},
			{"restart: RSS after all reconciled", fmt.Sprintf("%.1f MiB (peak %.1f MiB)", rss.MiB(second.Current), rss.MiB(second.Peak))},
			{"policy evaluation, 10,000 tags (read from the store, semver)", evaluation(b).Round(10 * time.Microsecond).String()},
		}
		printTable(rows)
		b.ReportMetric(ready.Seconds(), "s-to-all-ready")
		b.ReportMetric(rss.MiB(first.Peak), "peak-RSS-MiB")
		b.ReportMetric(float64(disk), "store-bytes")
		b.ReportMetric(float64(restartCalls), "restart-registry-calls")
		b.ReportMetric(rss.MiB(second.Current), "restart-RSS-MiB")
		deleteAll(b, c, ns)
	}
}

// evaluation is the mean time an ImagePolicy takes to read a repository of 10,000 tags from
// the tag store and elect the highest within a semver range.
func evaluation(b *testing.B) time.Duration {
	b.Helper()
	store, err := tagstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	tags := make([]string, 10000)
	for i := range tags {
		tags[i] = fmt.Sprintf("%d.%d.%d", i/1000, i/10%100, i%10)
	}
	rev, err := store.Put("ns", "big", tags, "")
	if err != nil {
		b.Fatal(err)
	}
	sel, err := policy.New(imagev1.ImagePolicySpec{Policy: imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=1.0.0 <9.0.0"}}})
	if err != nil {
		b.Fatal(err)
	}
	const rounds = 50
	start := time.Now()
	for range rounds {
		got, err := store.Tags("ns", "big", rev)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, ok := sel.Select(got); !ok {
			b.Fatal("nothing elected")
		}
	}
	return time.Since(start) / rounds
}

// waitAll polls until ns holds repos Ready ImageRepositories and repos Ready ImagePolicies.
func waitAll(b *testing.B, c client.Client, ns string, repos int) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Minute)
	for {
		var rl imagev1.ImageRepositoryList
		var pl imagev1.ImagePolicyList
		if err := errors.Join(c.List(context.Background(), &rl, client.InNamespace(ns)), c.List(context.Background(), &pl, client.InNamespace(ns))); err != nil {
			b.Fatal(err)
		}
		ready := 0
		for i := range rl.Items {
			if conditions.IsReady(&rl.Items[i]) {
				ready++
			}
		}
		for i := range pl.Items {
			if conditions.IsReady(&pl.Items[i]) {
				ready++
			}
		}
		if ready == 2*repos {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d objects Ready after 30m", ready, 2*repos)
		}
		time.Sleep(time.Second)
	}
}

// diskUsage is the size of the files under dir.
func diskUsage(b *testing.B, dir string) int64 {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			total += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// row is one line of the benchmark's table.
type row struct{ what, value string }

// printTable prints rows as a Markdown table on the benchmark's output.
func printTable(rows []row) {
	out := "\n| measure | value |\n| --- | --- |\n"
	for _, r := range rows {
		out += fmt.Sprintf("| %s | %s |\n", r.what, r.value)
	}
	fmt.Print(out)
}
