package stories

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// greeterManifest is a Deployment of namespace ns with replicas.
func greeterManifest(ns string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: greeter
  namespace: %s
spec:
  replicas: %d
  selector:
    matchLabels: {app: greeter}
  template:
    metadata:
      labels: {app: greeter}
    spec:
      containers:
        - name: greeter
          image: ghcr.io/example/greeter:1.0.0
`, ns, replicas)
}

// kustomization returns a Kustomization ns/name of path in GitRepository source, with a
// one-hour interval: only changes of the source and requests reconcile it in a story.
func kustomization(ns, name, source, path string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
		"kind":       "Kustomization",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"interval":  "1h",
			"path":      path,
			"prune":     true,
			"wait":      true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": source},
		},
	}}
}

// setSuspend sets spec.suspend of o, as `flux suspend` and `flux resume` do.
func setSuspend(t *testing.T, o *unstructured.Unstructured, suspend bool) {
	t.Helper()
	cur := get(NewWithT(t), o)
	if err := unstructured.SetNestedField(cur.Object, suspend, "spec", "suspend"); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Update(t.Context(), cur); err != nil {
		t.Fatalf("failed to set suspend=%v on %s: %v", suspend, o.GetName(), err)
	}
}

// waitMetric waits until the Prometheus text of controller holds a sample of metric whose
// labels include kind, name and namespace of o, and whose value matches value (a regular
// expression; "" for any).
func waitMetric(t *testing.T, controller, metric string, o *unstructured.Unstructured, value string) {
	t.Helper()
	labels := fmt.Sprintf(`kind=%q,name=%q,namespace=%q`, o.GetKind(), o.GetName(), o.GetNamespace())
	sample := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(metric) + `\{[^}]*` + regexp.QuoteMeta(labels) + `[^}]*\} ` + value)
	NewWithT(t).Eventually(func() string { return scrape(t, controller) }, timeout, interval).
		Should(MatchRegexp(sample.String()), "%s of %s has no %s{%s} %s", controller, o.GetName(), metric, labels, value)
}

// TestStorySuspendResumeAndMetrics suspends a Kustomization (a push is then not applied),
// resumes it (the push is applied), triggers an immediate run of an object whose interval
// is an hour with reconcile.fluxcd.io/requestedAt, and finds each object's reconcile
// durations and suspend state in the Prometheus metrics of its controller.
func TestStorySuspendResumeAndMetrics(t *testing.T) {
	dumpLogsOnFailure(t)
	const ns = "story-suspend"
	ensureNamespace(t, ns)
	repos, url := gitRepo(t, "greeter", map[string]string{"deploy/greeter.yaml": greeterManifest(ns, 1)})
	repos.Branch(t, "greeter", "main", "master")

	step(t, "apply a GitRepository and a Kustomization, both with interval 1h")
	source := gitRepository(ns, "greeter", url)
	if err := unstructured.SetNestedField(source.Object, "1h", "spec", "interval"); err != nil {
		t.Fatal(err)
	}
	ks := kustomization(ns, "greeter", "greeter", "./deploy")
	apply(t, source, ks)
	deleteOnCleanup(t, ks, source)
	waitReady(t, ks)
	waitDeployment(t, ns, "greeter", 1)

	step(t, "reconcile.fluxcd.io/requestedAt runs the Kustomization at once, although its interval is 1h")
	at := requestReconcile(t, ks)
	waitHandled(t, ks, at)
	waitReady(t, ks)

	step(t, "suspend the Kustomization (spec.suspend: true)")
	setSuspend(t, ks, true)
	waitMetric(t, "kustomize-controller", "gotk_suspend_status", ks, "1")
	applied, _, _ := unstructured.NestedString(get(NewWithT(t), ks).Object, "status", "lastAppliedRevision")

	step(t, "push replicas: 2; the source fetches it, the suspended Kustomization does not apply it")
	before := reconciles(t, "kustomize-controller", "kustomization")
	rev := repos.Commit(t, "greeter", "main", "two greeters", map[string]string{"deploy/greeter.yaml": greeterManifest(ns, 2)})
	waitHandled(t, source, requestReconcile(t, source))
	waitReady(t, source, hasRevision("main@sha1:"+rev))
	// The new artifact wakes the Kustomization: once the controller has run it (its reconcile
	// count grew), the suspended object must still hold the old revision and replicas.
	NewWithT(t).Eventually(func() float64 { return reconciles(t, "kustomize-controller", "kustomization") }, timeout, interval).
		Should(BeNumerically(">", before))
	got, _, _ := unstructured.NestedString(get(NewWithT(t), ks).Object, "status", "lastAppliedRevision")
	NewWithT(t).Expect(got).To(Equal(applied))
	expectReplicas(NewWithT(t), ns, "greeter", 1)

	step(t, "resume it (spec.suspend: false): the push is applied")
	setSuspend(t, ks, false)
	waitReady(t, ks, hasRevision("main@sha1:"+rev))
	waitDeployment(t, ns, "greeter", 2)
	waitMetric(t, "kustomize-controller", "gotk_suspend_status", ks, "0")

	step(t, "each controller's /metrics has gotk_reconcile_duration_seconds for its objects")
	waitMetric(t, "source-controller", "gotk_reconcile_duration_seconds_count", source, `[1-9]`)
	waitMetric(t, "kustomize-controller", "gotk_reconcile_duration_seconds_count", ks, `[1-9]`)
	waitMetric(t, "kustomize-controller", "gotk_reconcile_condition", ks, "1")
}

// reconciles returns how many reconciles the controller named name (a controller-runtime
// controller of process) has finished without error, from its Prometheus metrics.
func reconciles(t testing.TB, process, name string) float64 {
	t.Helper()
	sample := regexp.MustCompile(`(?m)^controller_runtime_reconcile_total\{controller="` + regexp.QuoteMeta(name) + `",result="success"\} (\S+)$`)
	m := sample.FindStringSubmatch(scrape(t, process))
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("controller_runtime_reconcile_total of %s: %v", name, err)
	}
	return n
}
