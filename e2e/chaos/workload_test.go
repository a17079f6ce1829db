package chaos

import (
	"context"
	cryptorand "crypto/rand"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// size is the shape of one chaos run.
type size struct {
	// Kustomizations and HelmReleases are how many of each the workload applies.
	Kustomizations, HelmReleases int
	// Kills is how many times a random controller is killed during the workload.
	Kills int
	// SourceDown is how long the source-controller stays away in TestChaosSourceControllerDown.
	SourceDown time.Duration
}

// runSize is the short form, or the full workload when FERRY_CHAOS=full.
func runSize() size {
	if os.Getenv("FERRY_CHAOS") == "full" {
		return size{Kustomizations: 200, HelmReleases: 50, Kills: 20, SourceDown: 60 * time.Second}
	}
	return size{Kustomizations: 20, HelmReleases: 5, Kills: 6, SourceDown: 10 * time.Second}
}

// newRand returns the run's random source, seeded from FERRY_CHAOS_SEED or the clock, and
// logs the seed so that a failure can be replayed.
func newRand(t *testing.T) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := os.Getenv("FERRY_CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("FERRY_CHAOS_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with FERRY_CHAOS_SEED=%d)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

const (
	// reconcileInterval is every object's spec.interval: convergence after the last fault
	// must come within one of it.
	reconcileInterval = time.Minute
	// timeout bounds the waits for the initial workload, which no fault delays.
	timeout = 5 * time.Minute
	// poll is how often the tests look.
	poll = 500 * time.Millisecond
	// requestedAt asks for an immediate reconcile, as `flux reconcile` and Receivers do.
	requestedAt = "reconcile.fluxcd.io/requestedAt"
)

// appName is the name of Kustomization i, and of its directory in Git.
func appName(i int) string { return fmt.Sprintf("app-%03d", i) }

// appFiles are the five objects of app i at a state of the repository: four ConfigMaps and a
// Deployment. changed apps (every third) have new data in cm-0 and no cm-3.
func appFiles(i int, changed bool) map[string]string {
	files := map[string]string{}
	dir := "apps/" + appName(i) + "/"
	for c := 0; c < 4; c++ {
		if changed && c == 3 {
			continue
		}
		data := "1"
		if changed && c == 0 {
			data = "2"
		}
		files[dir+fmt.Sprintf("cm-%d.yaml", c)] = fmt.Sprintf(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-cm-%d\ndata:\n  rev: %q\n", appName(i), c, data)
	}
	files[dir+"deploy.yaml"] = fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: app
          image: example/app:1
`, appName(i))
	return files
}

// expectedObjects are the inventory IDs (Flux's <namespace>_<name>_<group>_<kind>) app i
// must have in ns.
func expectedObjects(ns string, i int, changed bool) []string {
	ids := []string{fmt.Sprintf("%s_%s_apps_Deployment", ns, appName(i))}
	for c := 0; c < 4; c++ {
		if !(changed && c == 3) {
			ids = append(ids, fmt.Sprintf("%s_%s-cm-%d__ConfigMap", ns, appName(i), c))
		}
	}
	sort.Strings(ids)
	return ids
}

// changedApp tells whether app i is one of the third the push changes.
func changedApp(i int) bool { return i%3 == 0 }

// workload is the chaos workload: one Git repository of n apps and one chart repository.
type workload struct {
	ns     string
	size   size
	repos  *gitserver.Repos
	url    string
	charts *helmrepo.Server
}

// authSecret is the Secret of the Git and chart repositories' basic auth.
const authSecret = "fleet-auth"

// newWorkload serves the Git repository and the chart repository (hello 1.0.0), both behind
// basic auth with a new random password, and creates the Secret holding it; the fleet's leak
// check then looks for that password in every log, Event and status of the run.
func newWorkload(t *testing.T, ns string, sz size) *workload {
	w := &workload{ns: ns, size: sz, repos: gitserver.NewRepos(t)}
	files := map[string]string{}
	for i := 0; i < sz.Kustomizations; i++ {
		for p, c := range appFiles(i, false) {
			files[p] = c
		}
	}
	password := cryptorand.Text()
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": authSecret, "namespace": ns},
		"stringData": map[string]any{"username": "fleet", "password": password},
	}}
	controllers.Secrets.RecordObject(secret)
	apply(t, secret)
	w.repos.Create(t, "fleet", files)
	w.url = w.repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true, Username: "fleet", Password: password}).RepoURL("fleet")
	charts, err := helmrepo.New(helmrepo.Options{Username: "fleet", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(charts.Close)
	w.charts = charts
	w.addChart(t, "1.0.0")
	return w
}

// addChart publishes chart hello at version.
func (w *workload) addChart(t *testing.T, version string) {
	if _, err := w.charts.AddChart(helmrepo.ChartFiles("hello", version)); err != nil {
		t.Fatal(err)
	}
	if err := w.charts.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
}

// objects are the workload's Flux objects, as a user writes them.
func (w *workload) objects(t *testing.T) []*unstructured.Unstructured {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec: {interval: %[1]s, url: %[2]q, ref: {branch: master}, secretRef: {name: %[4]s}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts}
spec: {interval: %[1]s, url: %[3]q, secretRef: {name: %[4]s}}
`, reconcileInterval, w.url, w.charts.URL(), authSecret)
	for i := 0; i < w.size.Kustomizations; i++ {
		fmt.Fprintf(&b, `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: %[1]s}
spec:
  interval: %[2]s
  timeout: 2m
  path: ./apps/%[1]s
  prune: true
  wait: true
  targetNamespace: %[3]s
  sourceRef: {kind: GitRepository, name: fleet}
`, appName(i), reconcileInterval, w.ns)
	}
	for i := 0; i < w.size.HelmReleases; i++ {
		fmt.Fprintf(&b, `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: rel-%02[1]d}
spec:
  interval: %[2]s
  chart:
    spec:
      chart: hello
      version: "*"
      sourceRef: {kind: HelmRepository, name: charts}
  values: {replicas: %[1]d}
`, i, reconcileInterval)
	}
	return decode(t, w.ns, b.String())
}

// push commits the change of every third app (cm-0 changed, cm-3 removed) and publishes
// chart hello 1.1.0, and returns the new Git revision.
func (w *workload) push(t *testing.T) string {
	files := map[string]string{}
	for i := 0; i < w.size.Kustomizations; i += 3 {
		for p, c := range appFiles(i, true) {
			files[p] = c
		}
		files["apps/"+appName(i)+"/cm-3.yaml"] = "" // removed
	}
	head := w.repos.Commit(t, "fleet", "master", "change a third of the apps", files)
	w.addChart(t, "1.1.0")
	return head
}

// decode decodes a YAML stream into objects of namespace ns.
func decode(t *testing.T, ns, data string) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(data, "\n---\n") {
		o := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal([]byte(doc), &o.Object); err != nil {
			t.Fatal(err)
		}
		o.SetNamespace(ns)
		objs = append(objs, o)
	}
	return objs
}

// apply server-side applies objs as a user's `kubectl apply --server-side` does.
func apply(t *testing.T, objs ...*unstructured.Unstructured) {
	for _, o := range objs {
		o = o.DeepCopy()
		if err := env.Client.Patch(context.Background(), o, client.Apply, client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
			t.Fatalf("failed to apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// requestReconcile asks for an immediate reconcile of o, as a webhook Receiver does, and
// returns the value set.
func requestReconcile(t *testing.T, o *unstructured.Unstructured) string {
	at := time.Now().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, requestedAt, at)
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(o.GroupVersionKind())
	cur.SetNamespace(o.GetNamespace())
	cur.SetName(o.GetName())
	if err := env.Client.Patch(context.Background(), cur, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	return at
}

// get reads the current state of o.
func get(g Gomega, o *unstructured.Unstructured) *unstructured.Unstructured {
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(o.GroupVersionKind())
	g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(o), cur)).To(Succeed())
	return cur
}

// ready returns the status, reason and message of o's Ready condition.
func ready(o *unstructured.Unstructured) (status, reason, message string) {
	return statuscheck.Condition(o, "Ready")
}

// expectReady checks that cur is Ready=True at its generation.
func expectReady(g Gomega, cur *unstructured.Unstructured) {
	status, reason, msg := ready(cur)
	g.Expect(status).To(Equal("True"), "%s %s: %s: %s", cur.GetKind(), cur.GetName(), reason, msg)
	observed, _, _ := unstructured.NestedInt64(cur.Object, "status", "observedGeneration")
	g.Expect(observed).To(Equal(cur.GetGeneration()), "%s %s observedGeneration", cur.GetKind(), cur.GetName())
}
