package kustomization

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/benchsize"
	"github.com/ferry-gitops/ferry/shared/testing/freeport"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchApp is the five objects of one application, all Current as soon as they exist.
func benchApp(name string) map[string]string {
	return map[string]string{
		"configmap.yaml": configMap(name+"-config", "v1"),
		"secret.yaml":    fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s-secret\nstringData:\n  token: %q\n", name, name),
		"sa.yaml":        fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n", name),
		"service.yaml": fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  clusterIP: None\n  selector: {app: %s}\n  ports: [{port: 80}]\n",
			name, name),
		"role.yaml": fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n", name),
	}
}

// benchRepo publishes one artifact holding n applications under apps/app-<i>, each in one
// multi-document file (the artifact of 2,000 applications then stays below the extractor's
// limit of 10,000 files).
func benchRepo(b *testing.B, ns string, n int) fluxmeta.Artifact {
	files := map[string]string{}
	for i := range n {
		var docs []string
		for _, content := range benchApp(fmt.Sprintf("app-%d", i)) {
			docs = append(docs, content)
		}
		slices.Sort(docs)
		files[fmt.Sprintf("apps/app-%d/app.yaml", i)] = strings.Join(docs, "---\n")
	}
	return publish(b, ns, "main@sha1:"+fmt.Sprintf("%040d", n), files)
}

// benchNamespace creates a namespace for one round.
func benchNamespace(b *testing.B) string {
	return testenv.NewNamespace(b, env.Client)
}

// waitAllReady watches the Kustomizations of ns until every listed one is Ready, and returns
// when each first was (a watch is one request of the API server; one that the server or the
// client's timeout ends is started again).
func waitAllReady(b *testing.B, ns string, names map[string]bool) map[string]time.Time {
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ready := map[string]time.Time{}
	var sample string // why one that is not Ready is not, for the failure message
	seen := func(k *kustomizev1.Kustomization) {
		if _, ok := ready[k.Name]; !ok && names[k.Name] && conditions.IsReady(k) {
			ready[k.Name] = time.Now()
		} else if c := conditions.Get(k, fluxmeta.ReadyCondition); c != nil && !ok {
			sample = k.Name + ": " + c.Message
		}
	}
	for ctx.Err() == nil && len(ready) < len(names) {
		var list kustomizev1.KustomizationList
		if err := wc.List(ctx, &list, client.InNamespace(ns)); err != nil {
			continue
		}
		for i := range list.Items {
			seen(&list.Items[i])
		}
		w, err := wc.Watch(ctx, &kustomizev1.KustomizationList{}, client.InNamespace(ns),
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
		if err != nil {
			continue
		}
		for ev := range w.ResultChan() {
			if k, ok := ev.Object.(*kustomizev1.Kustomization); ok {
				seen(k)
			}
			if len(ready) == len(names) {
				break
			}
		}
		w.Stop()
	}
	if len(ready) < len(names) {
		b.Fatalf("only %d of %d Kustomizations became Ready within 10 minutes (%s)", len(ready), len(names), sample)
	}
	return ready
}

// latencies returns the latest time of ready and its 50th and 99th percentiles after start.
func latencies(start time.Time, ready map[string]time.Time) (end time.Time, p50, p99 time.Duration) {
	ds := make([]time.Duration, 0, len(ready))
	for _, t := range ready {
		ds = append(ds, t.Sub(start))
		if t.After(end) {
			end = t
		}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return end, at(0.50), at(0.99)
}

func benchKustomization(b *testing.B, ns, name, path string, deps ...string) {
	kustomization(b, ns, name, "repo", func(k *kustomizev1.Kustomization) {
		k.Spec.Path = path
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Interval = metav1.Duration{Duration: 10 * time.Minute}
		for _, d := range deps {
			k.Spec.DependsOn = append(k.Spec.DependsOn, fluxmeta.DependencyReference{Name: d})
		}
	})
}

// BenchmarkDependsOnChain measures a 10-deep dependsOn chain: seconds from the first artifact
// to the last Kustomization Ready.
func BenchmarkDependsOnChain(b *testing.B) {
	const depth = 10
	startBinary(b)
	for b.Loop() {
		ns := benchNamespace(b)
		a := benchRepo(b, ns, depth)
		repo := gitRepository(b, ns, "repo", nil)
		prev := ""
		for i := range depth {
			name := fmt.Sprintf("app-%d", i)
			if prev == "" {
				benchKustomization(b, ns, name, "./apps/"+name)
			} else {
				benchKustomization(b, ns, name, "./apps/"+name, prev)
			}
			prev = name
		}
		start := time.Now()
		setArtifact(b, repo, a)
		end, _, _ := latencies(start, waitAllReady(b, ns, map[string]bool{prev: true}))
		b.ReportMetric(end.Sub(start).Seconds(), "s/chain-ready")
	}
}

// BenchmarkKustomizations runs the kustomize-controller binary with its default flags, applies
// N Kustomizations of 5 objects each (wait and prune on), all from one artifact, for each N of
// FERRY_BENCH_N, and reports the seconds until all are Ready and the 50th and 99th percentile
// of each one's time to Ready, the binary's peak RSS, the API requests it issued per
// Kustomization, and the floor: the same objects server-side applied by a tight in-process
// client with the controller's parallelism (the API server's own cost), and the ratio. Each
// N runs a new controller process, so that its peak RSS is that N's.
func BenchmarkKustomizations(b *testing.B) {
	for _, n := range benchsize.Sizes(b, 100) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchKustomizations(b, n) })
	}
}

// benchKustomizations is BenchmarkKustomizations for n Kustomizations.
func benchKustomizations(b *testing.B, n int) {
	pid := startBinary(b)
	for b.Loop() {
		ns := benchNamespace(b)
		a := benchRepo(b, ns, n)
		before, beforeBy := apiRequests(b), apiRequestsBy(b)
		profiled := cpuProfile(b, fmt.Sprintf("kustomizations-%d", n), profileSeconds(n))
		midHeap := heapProfileAfter(b, fmt.Sprintf("kustomizations-%d-heap-mid", n), profileSeconds(n)/2)
		start := time.Now()
		gitRepository(b, ns, "repo", &a)
		names := map[string]bool{}
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			names[name] = true
			benchKustomization(b, ns, name, "./apps/"+name)
		}
		end, p50, p99 := latencies(start, waitAllReady(b, ns, names))
		profiled()
		midHeap()
		heapProfile(b, fmt.Sprintf("kustomizations-%d-heap", n))
		// The controller's requests: without the benchmark's list and watch (a few, counted
		// as two), the GitRepository and the n Kustomizations it created.
		requests := apiRequests(b) - before - 2 - float64(n+1)
		if os.Getenv(profileEnv) != "" {
			b.Logf("API requests (the benchmark's own among them):\n%s", requestsDiff(beforeBy, apiRequestsBy(b), n))
		}
		floor := applyFloor(b, n)
		u, err := rss.Of(pid)
		if err != nil {
			b.Fatal(err)
		}
		anon, file := rssSplit(pid)
		b.ReportMetric(anon, "MiB-anon-rss")
		b.ReportMetric(file, "MiB-file-rss")
		b.ReportMetric(end.Sub(start).Seconds(), "s/all-ready")
		b.ReportMetric(p50.Seconds(), "s/p50-ready")
		b.ReportMetric(p99.Seconds(), "s/p99-ready")
		b.ReportMetric(floor.Seconds(), "s/floor")
		b.ReportMetric(end.Sub(start).Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(requests/float64(n), "requests/kustomization")
		b.ReportMetric(rss.MiB(u.Peak), "MiB-peak-rss")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// profileSeconds is how long a profile of n Kustomizations coming Ready lasts: about the
// time they take (50 per second), so that little idle time dilutes it.
func profileSeconds(n int) time.Duration { return time.Duration(max(n/50, 2)) * time.Second }

// startBinary builds the kustomize-controller binary as `make build` does and runs it against
// the test API server with its default flags; it is killed when the benchmark ends. It returns
// the process id.
func startBinary(b *testing.B) int { return startShard(b, "") }

// shardKey is the label whose value picks the kustomize-controller shard of an object.
const shardKey = "sharding.fluxcd.io/key"

// mainShard stands for the main controller beside shards in startShard.
const mainShard = "!"

// startShard is startBinary for one shard, as deploy/sharding runs them: shard "" is the only
// controller (no selector), mainShard the main one beside shards (the objects without the
// shardKey label), and any other the one watching the objects labelled with it.
func startShard(b *testing.B, shard string) int {
	bin := filepath.Join(b.TempDir(), "kustomize-controller")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("failed to build the controller: %v\n%s", err, out)
	}
	metrics := "0"
	if os.Getenv(profileEnv) != "" {
		metrics = benchMetricsAddr(b)
	}
	args := []string{"--kubeconfig=" + env.Kubeconfig, "--metrics-addr=" + metrics, "--health-addr=0", "--log-level=error"}
	switch shard {
	case "":
	case mainShard:
		args = append(args, "--watch-label-selector=!"+shardKey)
	default:
		args = append(args, "--watch-label-selector="+shardKey+"="+shard)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The controller is up once it reports on a Kustomization waiting for its source.
	canary := kustomization(b, benchNamespace(b), "canary", "missing", func(k *kustomizev1.Kustomization) {
		if shard != "" && shard != mainShard {
			k.Labels = map[string]string{shardKey: shard}
		}
	})
	statuscheck.Wait(b, env.Client, canary, func(g Gomega, cur *kustomizev1.Kustomization) {
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition)).NotTo(BeNil(), "the controller did not start")
	})
	return cmd.Process.Pid
}

// rssSplit returns the anonymous and the file-backed (binary) resident memory of pid, in MiB.
func rssSplit(pid int) (anon, file float64) {
	roll, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(roll), "\n") {
		k, v, ok := strings.Cut(l, ":")
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if !ok || err != nil {
			continue
		}
		switch k {
		case "Pss_Anon":
			anon = kb / 1024
		case "Pss_File":
			file = kb / 1024
		}
	}
	return anon, file
}

// profileEnv names a directory: set, each benchmark that supports it writes there a CPU
// profile of the controller binary (from its /debug/pprof/ endpoint) over what it measures.
const profileEnv = "FERRY_BENCH_PROFILE"

// profiledAddr is the metrics address of the controller binary last started with profileEnv
// set.
var profiledAddr string

// benchMetricsAddr picks a free 127.0.0.1 address for the binary's metrics and profiles.
func benchMetricsAddr(b *testing.B) string {
	addr, err := freeport.Addr()
	if err != nil {
		b.Fatal(err)
	}
	profiledAddr = addr
	return addr
}

// heapProfile writes, when profileEnv is set, the heap profile of the binary last started to
// <profileEnv>/<name>.pprof.
func heapProfile(b *testing.B, name string) {
	if os.Getenv(profileEnv) != "" {
		fetchProfile(b, "heap", name)
	}
}

// heapProfileAfter takes, when profileEnv is set, a heap profile of the binary last started
// after d (amid the work, where memory peaks), and returns a function that waits for it.
func heapProfileAfter(b *testing.B, name string, d time.Duration) (wait func()) {
	if os.Getenv(profileEnv) == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(d)
		fetchProfile(b, "heap", name)
	}()
	return func() { <-done }
}

// fetchProfile writes the profile at /debug/pprof/<path> of the binary last started to
// <profileEnv>/<name>.pprof.
func fetchProfile(b *testing.B, path, name string) {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s", profiledAddr, path))
	if err == nil {
		defer resp.Body.Close()
		var f *os.File
		if f, err = os.Create(filepath.Join(os.Getenv(profileEnv), name+".pprof")); err == nil {
			_, err = io.Copy(f, resp.Body)
			err = errors.Join(err, f.Close())
		}
	}
	if err != nil {
		b.Errorf("failed to profile the controller: %v", err)
	}
}

// cpuProfile starts, when profileEnv is set, a CPU profile of the binary last started that
// lasts d, and returns a function that waits for it and writes it to <profileEnv>/<name>.pprof.
func cpuProfile(b *testing.B, name string, d time.Duration) (wait func()) {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fetchProfile(b, fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), name)
	}()
	return func() { <-done }
}

// BenchmarkSteadyState measures what N Ready Kustomizations (FERRY_BENCH_N, 1,000 by
// default; 5 objects each, wait and prune on) that nothing changes cost the kustomize-
// controller binary: with a 1-minute interval, the CPU seconds and API requests of a 3-minute
// window (about three reconciles of each), scaled to an hour of the default-like 10-minute
// interval (six reconciles each), as CPU-seconds/hour and requests/minute. The window
// includes the idle time between reconciles, so the figures are upper bounds.
func BenchmarkSteadyState(b *testing.B) {
	const window, interval = 3 * time.Minute, time.Minute
	n := benchsize.Sizes(b, 1000)[0]
	pid := startBinary(b)
	for b.Loop() {
		ns := benchNamespace(b)
		a := benchRepo(b, ns, n)
		gitRepository(b, ns, "repo", &a)
		names := map[string]bool{}
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			names[name] = true
			kustomization(b, ns, name, "repo", func(k *kustomizev1.Kustomization) {
				k.Spec.Path, k.Spec.TargetNamespace, k.Spec.Wait = "./apps/"+name, ns, true
				k.Spec.Interval = metav1.Duration{Duration: interval}
			})
		}
		waitAllReady(b, ns, names)
		cpu0, req0 := cpuSeconds(b, pid), apiRequests(b)
		profiled := cpuProfile(b, fmt.Sprintf("steady-%d", n), window)
		time.Sleep(window) // the measurement window itself: nothing is waited for
		profiled()
		cpu, req := cpuSeconds(b, pid)-cpu0, apiRequests(b)-req0-1
		passes := window.Minutes() / interval.Minutes()
		b.ReportMetric(cpu/passes*6, "cpu-s/hour@10m")
		b.ReportMetric(req/passes*6/60, "requests/min@10m")
		b.ReportMetric(cpu/passes*6/3600*100, "%core@10m")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// cpuSeconds returns the CPU time pid has used.
func cpuSeconds(b *testing.B, pid int) float64 {
	s, err := rss.CPUSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkShards measures what a second kustomize-controller shard (--watch-label-selector,
// as deploy/sharding) gains: N Kustomizations (FERRY_BENCH_N, 2,000 by default; as in
// BenchmarkKustomizations) made Ready by one controller, then another N by two shards each
// given half, in the same run; it reports both times, the gain (one over two) and each shard's
// peak RSS.
func BenchmarkShards(b *testing.B) {
	n := benchsize.Sizes(b, 2000)[0]
	for b.Loop() {
		one := shardRound(b, n, []string{""})
		two := shardRound(b, n, []string{mainShard, "shard1"})
		b.ReportMetric(one.Seconds(), "s/all-ready-1-shard")
		b.ReportMetric(two.Seconds(), "s/all-ready-2-shards")
		b.ReportMetric(one.Seconds()/two.Seconds(), "x-gain")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// shardRound starts one controller per shard, applies n Kustomizations spread evenly over the
// shards, and returns the time until all are Ready. The controllers are stopped when it
// returns, and their peak RSS is reported.
func shardRound(b *testing.B, n int, shards []string) time.Duration {
	var pids []int
	var stop []func()
	for _, shard := range shards {
		pid := startShard(b, shard)
		pids = append(pids, pid)
		stop = append(stop, func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	}
	defer func() {
		for _, f := range stop {
			f()
		}
	}()
	ns := benchNamespace(b)
	a := benchRepo(b, ns, n)
	start := time.Now()
	gitRepository(b, ns, "repo", &a)
	names := map[string]bool{}
	for i := range n {
		name := fmt.Sprintf("app-%d", i)
		names[name] = true
		kustomization(b, ns, name, "repo", func(k *kustomizev1.Kustomization) {
			k.Spec.Path, k.Spec.TargetNamespace, k.Spec.Wait = "./apps/"+name, ns, true
			k.Spec.Interval = metav1.Duration{Duration: 10 * time.Minute}
			if shard := shards[i%len(shards)]; shard != "" && shard != mainShard {
				k.Labels = map[string]string{shardKey: shard}
			}
		})
	}
	end, _, _ := latencies(start, waitAllReady(b, ns, names))
	for i, pid := range pids {
		if u, err := rss.Of(pid); err == nil {
			b.ReportMetric(rss.MiB(u.Peak), fmt.Sprintf("MiB-peak-rss-%dshards-%d", len(shards), i))
		}
	}
	return end.Sub(start)
}
