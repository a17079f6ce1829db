package kustomization

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchN is the number of Kustomizations: FERRY_BENCH_N, 100 by default.
func benchN(b *testing.B) int {
	n := 100
	if v := os.Getenv("FERRY_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("FERRY_BENCH_N: %v", err)
		}
	}
	return n
}

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

// benchRepo publishes one artifact holding n applications under apps/app-<i>.
func benchRepo(b *testing.B, ns string, n int) fluxmeta.Artifact {
	files := map[string]string{}
	for i := range n {
		for f, content := range benchApp(fmt.Sprintf("app-%d", i)) {
			files[fmt.Sprintf("apps/app-%d/%s", i, f)] = content
		}
	}
	return publish(b, ns, "main@sha1:"+fmt.Sprintf("%040d", n), files)
}

// benchNamespace creates a namespace for one round.
func benchNamespace(b *testing.B) string {
	return testenv.NewNamespace(b, env.Client)
}

// waitAllReady polls until every listed Kustomization is Ready, returning when that happened
// and how many List requests the polling cost.
func waitAllReady(b *testing.B, ns string, names map[string]bool) (time.Time, int) {
	deadline := time.Now().Add(10 * time.Minute)
	for polls := 1; time.Now().Before(deadline); polls++ {
		var list kustomizev1.KustomizationList
		if err := env.Client.List(ctxT(b), &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		ready := 0
		for i := range list.Items {
			if names[list.Items[i].Name] && conditions.IsReady(&list.Items[i]) {
				ready++
			}
		}
		if ready == len(names) {
			return time.Now(), polls
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("not all %d Kustomizations became Ready within 10 minutes", len(names))
	return time.Time{}, 0
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
		end, _ := waitAllReady(b, ns, map[string]bool{prev: true})
		b.ReportMetric(end.Sub(start).Seconds(), "s/chain-ready")
	}
}

// BenchmarkKustomizations runs the kustomize-controller binary with its default flags, applies
// N Kustomizations of 5 objects each (wait and prune on), all from one artifact, and reports
// the seconds until all are Ready, the binary's peak RSS, the API requests it issued per
// Kustomization, and the floor: the same objects server-side applied by a tight in-process
// client with the controller's parallelism (the API server's own cost), and the ratio.
func BenchmarkKustomizations(b *testing.B) {
	n := benchN(b)
	pid := startBinary(b)
	for b.Loop() {
		ns := benchNamespace(b)
		a := benchRepo(b, ns, n)
		before := apiRequests(b)
		start := time.Now()
		gitRepository(b, ns, "repo", &a)
		names := map[string]bool{}
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			names[name] = true
			benchKustomization(b, ns, name, "./apps/"+name)
		}
		end, polls := waitAllReady(b, ns, names)
		// The controller's requests: without the polling, the GitRepository and the n
		// Kustomizations this benchmark created.
		requests := apiRequests(b) - before - float64(polls) - float64(n+1)
		floor := applyFloor(b, n)
		u, err := rss.Of(pid)
		if err != nil {
			b.Fatal(err)
		}
		anon, file := rssSplit(pid)
		b.ReportMetric(anon, "MiB-anon-rss")
		b.ReportMetric(file, "MiB-file-rss")
		b.ReportMetric(end.Sub(start).Seconds(), "s/all-ready")
		b.ReportMetric(floor.Seconds(), "s/floor")
		b.ReportMetric(end.Sub(start).Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(requests/float64(n), "requests/kustomization")
		b.ReportMetric(rss.MiB(u.Peak), "MiB-peak-rss")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// startBinary builds the kustomize-controller binary as `make build` does and runs it against
// the test API server with its default flags; it is killed when the benchmark ends. It returns
// the process id.
func startBinary(b *testing.B) int {
	bin := filepath.Join(b.TempDir(), "kustomize-controller")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("failed to build the controller: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--kubeconfig="+env.Kubeconfig, "--metrics-addr=0", "--health-addr=0", "--log-level=error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The controller is up once it reports on a Kustomization waiting for its source.
	canary := kustomization(b, benchNamespace(b), "canary", "missing", nil)
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
