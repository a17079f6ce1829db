package stories

import (
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// BenchmarkPushToRollout measures the whole GitOps loop once per iteration: a commit that
// changes a Deployment's replicas is pushed, the GitRepository is asked to reconcile (as a
// webhook receiver does), and the time runs until the new replicas are available, through
// the source-controller's fetch and artifact, the kustomize-controller's download, build and
// apply, and the rollout by kube-controller-manager and KWOK. It reports the median too.
func BenchmarkPushToRollout(b *testing.B) {
	const ns = "bench-loop"
	ensureNamespace(b, ns)
	repos, url := gitRepo(b, "loop", map[string]string{"deploy/greeter.yaml": greeterManifest(ns, 1)})
	repos.Branch(b, "loop", "main", "master")
	source := gitRepository(ns, "loop", url)
	ks := kustomization(ns, "loop", "loop", "./deploy")
	apply(b, source, ks)
	deleteOnCleanup(b, ks, source)
	waitReady(b, ks)
	waitDeployment(b, ns, "greeter", 1)
	var took []time.Duration
	replicas := 1
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		replicas = replicas%3 + 1
		start := time.Now()
		repos.Commit(b, "loop", "main", "scale", map[string]string{"deploy/greeter.yaml": greeterManifest(ns, replicas)})
		requestReconcile(b, source)
		waitDeployment(b, ns, "greeter", int32(replicas))
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(median(took).Seconds(), "median-s")
}

// BenchmarkTagPushToRollout measures seed 002's closed loop once per iteration: a new tag
// (v1.3.<n>) is pushed to the registry and the ImageRepository is asked to scan (as a
// registry webhook does); the time runs until Deployment production/my-app runs the tag on
// all its replicas, Available — through image-reflector-controller's scan and policy,
// image-automation-controller's fetch, commit and push, source-controller's fetch and
// artifact, kustomize-controller's apply and the rollout by kube-controller-manager and
// KWOK. Nothing else asks anything to reconcile. It reports the median too.
func BenchmarkTagPushToRollout(b *testing.B) {
	l := startImageLoop(b)
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("v1.3.%d", i)
		start := time.Now()
		l.pushTag(b, tag)
		requestReconcile(b, l.repo)
		l.waitImage(b, tag)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(median(took).Seconds(), "median-s")
}

// median returns the middle of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkDependsOnChainRollout measures a 10-deep dependsOn chain whose every link applies a
// Deployment and waits for it (wait: true): the time from the GitRepository's creation until
// the last Kustomization is Ready, through kustomize-controller's dependency wake-ups, applies
// and health checks and the rollouts by kube-controller-manager, kube-scheduler and KWOK. It
// reports the time per link too.
func BenchmarkDependsOnChainRollout(b *testing.B) {
	const depth = 10
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("bench-chain-%d", i)
		ensureNamespace(b, ns)
		files := map[string]string{}
		for l := range depth {
			files[fmt.Sprintf("apps/link-%d/deploy.yaml", l)] = replaceOnce(b, greeterManifest(ns, 1), "  name: greeter\n  namespace", fmt.Sprintf("  name: link-%d\n  namespace", l))
		}
		repos, url := gitRepo(b, fmt.Sprintf("chain-%d", i), files)
		repos.Branch(b, fmt.Sprintf("chain-%d", i), "main", "master")
		var links []*unstructured.Unstructured
		for l := range depth {
			ks := kustomization(ns, fmt.Sprintf("link-%d", l), "chain", fmt.Sprintf("./apps/link-%d", l))
			if l > 0 {
				deps := []any{map[string]any{"name": fmt.Sprintf("link-%d", l-1)}}
				if err := unstructured.SetNestedSlice(ks.Object, deps, "spec", "dependsOn"); err != nil {
					b.Fatal(err)
				}
			}
			links = append(links, ks)
		}
		apply(b, links...)
		source := gitRepository(ns, "chain", url)
		start := time.Now()
		apply(b, source)
		deleteOnCleanup(b, append(links, source)...)
		if !chainReady(b, links, 3*time.Minute) {
			for _, l := range links {
				_, reason, msg := condition(get(NewWithT(b), l), "Ready")
				b.Logf("%s: %s: %s", l.GetName(), reason, msg)
			}
			b.Fatal("the chain did not become Ready")
		}
		took := time.Since(start)
		b.ReportMetric(took.Seconds(), "s/chain-ready")
		b.ReportMetric(took.Seconds()/depth, "s/link")
	}
}

// chainReady polls until the last of links is Ready, at most within.
func chainReady(b *testing.B, links []*unstructured.Unstructured, within time.Duration) bool {
	last := links[len(links)-1]
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if status, _, _ := condition(get(NewWithT(b), last), "Ready"); status == "True" {
			return true
		}
	}
	return false
}
