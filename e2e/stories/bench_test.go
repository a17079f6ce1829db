package stories

import (
	"fmt"
	"slices"
	"testing"
	"time"
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
