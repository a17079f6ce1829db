package stories

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/benchsize"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
)

// idleApp is the five objects of one application of BenchmarkFleetSteadyState, all Current
// as soon as they exist (the Service is headless: 1,000 would exhaust the test cluster's
// service IP range).
func idleApp(ns, name string) string {
	meta := fmt.Sprintf("metadata:\n  name: %s\n  namespace: %s\n", name, ns)
	return strings.Join([]string{
		"apiVersion: v1\nkind: ConfigMap\n" + meta + "data:\n  app: " + name + "\n",
		"apiVersion: v1\nkind: Secret\n" + meta + "stringData:\n  token: not-a-secret\n",
		"apiVersion: v1\nkind: ServiceAccount\n" + meta,
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n" + meta +
			"rules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n",
		"apiVersion: v1\nkind: Service\n" + meta + "spec:\n  clusterIP: None\n  ports:\n  - port: 80\n",
	}, "---\n")
}

// BenchmarkFleetSteadyState measures what the whole fleet (the six controllers as processes,
// deploy/'s flags) costs while nothing changes: N Ready Kustomizations (FERRY_BENCH_N, 1,000 by
// default; 5 objects each, wait and prune on) from one GitRepository served over HTTP, all at
// Flux's usual 10-minute interval. Over one interval (10 minutes, in which each reconciles
// once) the CPU seconds of each controller are read from /proc: nothing is scaled, so costs
// that follow the interval (reconciles, and the watch events of their status writes in the
// other controllers) and those that do not (leader-election renewals) are both as they are.
// It reports each controller's CPU-seconds an hour, the fleet's share of one core, and the
// Kustomization reconciles counted in the window (about N).
func BenchmarkFleetSteadyState(b *testing.B) {
	const interval = 10 * time.Minute
	n := benchsize.Sizes(b, 1000)[0]
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("bench-steady-%d", i)
		ensureNamespace(b, ns)
		files := map[string]string{}
		for a := range n {
			files[fmt.Sprintf("apps/app-%d/app.yaml", a)] = idleApp(ns, fmt.Sprintf("app-%d", a))
		}
		repos, url := gitRepo(b, fmt.Sprintf("steady-%d", i), files)
		repos.Branch(b, fmt.Sprintf("steady-%d", i), "main", "master")
		source := gitRepository(ns, "steady", url)
		source.Object["spec"].(map[string]any)["interval"] = interval.String()
		var all []*unstructured.Unstructured
		for a := range n {
			ks := kustomization(ns, fmt.Sprintf("app-%d", a), "steady", fmt.Sprintf("./apps/app-%d", a))
			ks.Object["spec"].(map[string]any)["interval"] = interval.String()
			all = append(all, ks)
		}
		apply(b, source)
		apply(b, all...)
		deleteOnCleanup(b, append(all, source)...)
		for _, ks := range all {
			waitReady(b, ks)
		}
		before, reconciled := fleetCPU(b), kustomizationReconciles(b)
		time.Sleep(interval) // the measurement window itself: nothing is waited for
		after := fleetCPU(b)
		b.ReportMetric(kustomizationReconciles(b)-reconciled, "reconciles-in-window")
		var total float64
		for _, name := range fleet.Controllers {
			perHour := (after[name] - before[name]) * float64(time.Hour/interval)
			total += perHour
			b.ReportMetric(perHour, "cpu-s/hour@10m-"+strings.TrimSuffix(name, "-controller"))
		}
		b.ReportMetric(total, "cpu-s/hour@10m-fleet")
		b.ReportMetric(total/3600*100, "%core@10m-fleet")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// kustomizationCount matches the samples of kustomize-controller's reconcile count.
var kustomizationCount = regexp.MustCompile(`(?m)^gotk_reconcile_duration_seconds_count\{[^}]*kind="Kustomization"[^}]*\} ([0-9.e+]+)$`)

// kustomizationReconciles returns how many Kustomization reconciles kustomize-controller has counted.
func kustomizationReconciles(b *testing.B) float64 {
	var n float64
	for _, m := range kustomizationCount.FindAllStringSubmatch(scrape(b, "kustomize-controller"), -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			b.Fatal(err)
		}
		n += v
	}
	return n
}

// fleetCPU reads the CPU seconds each controller of the fleet has used.
func fleetCPU(b *testing.B) map[string]float64 {
	b.Helper()
	used := map[string]float64{}
	for _, name := range fleet.Controllers {
		s, err := rss.CPUSeconds(controllers.Process(name).PID())
		if err != nil {
			b.Fatal(err)
		}
		used[name] = s
	}
	return used
}
