package kustomization

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
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
		"service.yaml": fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  selector: {app: %s}\n  ports: [{port: 80}]\n",
			name, name),
		"role.yaml": fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n", name),
	}
}

// benchRepo publishes one artifact holding n applications under apps/app-<i>.
func benchRepo(b *testing.B, ns string, n int) meta.Artifact {
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

// waitAllReady polls until every listed Kustomization is Ready, returning when that happened.
func waitAllReady(b *testing.B, ns string, names map[string]bool) time.Time {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
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
			return time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("not all %d Kustomizations became Ready within 10 minutes", len(names))
	return time.Time{}
}

func benchKustomization(b *testing.B, ns, name, path string, deps ...string) {
	kustomization(b, ns, name, "repo", func(k *kustomizev1.Kustomization) {
		k.Spec.Path = path
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Interval = metav1.Duration{Duration: 10 * time.Minute}
		for _, d := range deps {
			k.Spec.DependsOn = append(k.Spec.DependsOn, meta.DependencyReference{Name: d})
		}
	})
}

// BenchmarkKustomizations applies N Kustomizations of 5 objects each (wait and prune on), all
// from one artifact, and reports the seconds until all are Ready and the peak RSS of the test
// process (controller, artifact server and test client).
func BenchmarkKustomizations(b *testing.B) {
	n := benchN(b)
	m, err := startManager(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer m.Stop()
	for b.Loop() {
		ns := benchNamespace(b)
		a := benchRepo(b, ns, n)
		if err := rss.Reset(0); err != nil {
			b.Fatal(err)
		}
		before, _ := rss.Of(0)
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		b.Logf("before: rss %.1f MiB, heap in use %.1f MiB, sys %.1f MiB", rss.MiB(before.Current), rss.MiB(int64(ms.HeapInuse)), rss.MiB(int64(ms.Sys)))
		start := time.Now()
		gitRepository(b, ns, "repo", &a)
		names := map[string]bool{}
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			names[name] = true
			benchKustomization(b, ns, name, "./apps/"+name)
		}
		end := waitAllReady(b, ns, names)
		u, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		goruntime.ReadMemStats(&ms)
		b.Logf("after: heap in use %.1f MiB, sys %.1f MiB", rss.MiB(int64(ms.HeapInuse)), rss.MiB(int64(ms.Sys)))
		b.ReportMetric(end.Sub(start).Seconds(), "s/all-ready")
		b.ReportMetric(rss.MiB(u.Peak), "MiB-peak-rss")
		b.ReportMetric(float64(n), "kustomizations")
	}
}

// BenchmarkDependsOnChain measures a 10-deep dependsOn chain: seconds from the first artifact
// to the last Kustomization Ready.
func BenchmarkDependsOnChain(b *testing.B) {
	const depth = 10
	m, err := startManager(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer m.Stop()
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
		end := waitAllReady(b, ns, map[string]bool{prev: true})
		b.ReportMetric(end.Sub(start).Seconds(), "s/chain-ready")
	}
}
