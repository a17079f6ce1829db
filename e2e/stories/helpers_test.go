package stories

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

const (
	// timeout bounds every wait of a story: a whole rollout through Git, the fleet and KWOK.
	timeout = 2 * time.Minute
	// interval is how often a story polls.
	interval = 250 * time.Millisecond
	// fieldManager is the manager of what a story applies, as `kubectl apply --server-side`.
	fieldManager = "kubectl"
	// requestedAtAnnotation asks for an immediate reconcile, as `flux reconcile` does.
	requestedAtAnnotation = "reconcile.fluxcd.io/requestedAt"
)

// step logs what a story does next, so that `go test -v` reads as the story.
func step(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("▶ "+format, args...)
}

// dumpLogsOnFailure prints the last lines of every controller's log when t fails.
func dumpLogsOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range controllers.Processes {
			data, _ := os.ReadFile(p.LogPath)
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("=== last lines of %s:\n%s", p.Name, strings.Join(lines, "\n"))
		}
	})
}

// seedRepoFiles returns the files of testdata/seed-repo, the application repository of the
// seed documents, by slash path.
func seedRepoFiles(t testing.TB) map[string]string {
	t.Helper()
	return dirFiles(t, filepath.Join("..", "testdata", "seed-repo"))
}

// dirFiles returns the content of every file below root, by slash path relative to root.
func dirFiles(t testing.TB, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// gitRepo serves a new repository name holding files over plain HTTP (git http-backend) and
// returns the repositories and the clone URL.
func gitRepo(t testing.TB, name string, files map[string]string) (*gitserver.Repos, string) {
	t.Helper()
	repos := gitserver.NewRepos(t)
	repos.Create(t, name, files)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	return repos, srv.RepoURL(name)
}

// seedObject returns the object kind/name of testdata/seed-objects.yaml (the seed documents'
// YAML as written), in namespace ns when the seed gives none.
func seedObject(t testing.TB, kind, name, ns string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "seed-objects.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decodeYAML(t, string(data)) {
		if o.GetKind() == kind && o.GetName() == name {
			if o.GetNamespace() == "" {
				o.SetNamespace(ns)
			}
			return o
		}
	}
	t.Fatalf("no %s %s in the seed objects", kind, name)
	return nil
}

// decodeYAML decodes a stream of YAML documents.
func decodeYAML(t testing.TB, data string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := dec.Read()
		if err == io.EOF {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		o := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &o.Object); err != nil {
			t.Fatal(err)
		}
		if len(o.Object) > 0 {
			objs = append(objs, o)
		}
	}
}

// apply server-side applies objs, as `kubectl apply --server-side` does. The values of every
// Secret among them are recorded first, so that the suite fails if one leaks into a
// controller's log, an Event or a status (fleet.RunSuite).
func apply(t testing.TB, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		controllers.Secrets.RecordObject(o)
		o = o.DeepCopy()
		o.SetManagedFields(nil)
		o.SetResourceVersion("")
		if err := env.Client.Patch(context.Background(), o, client.Apply, client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
			t.Fatalf("failed to apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

// applyYAML applies every document of data, in namespace ns when a document gives none.
func applyYAML(t testing.TB, ns, data string) []*unstructured.Unstructured {
	t.Helper()
	objs := decodeYAML(t, data)
	for _, o := range objs {
		if o.GetNamespace() == "" && ns != "" {
			o.SetNamespace(ns)
		}
	}
	apply(t, objs...)
	return objs
}

// ensureNamespace creates namespace name unless it exists; stories share the cluster, and
// the seeds' namespaces (production, ingress-nginx) are fixed names.
func ensureNamespace(t testing.TB, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// get reads the current state of o.
func get(g Gomega, o *unstructured.Unstructured) *unstructured.Unstructured {
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(o.GroupVersionKind())
	g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(o), cur)).To(Succeed())
	return cur
}

// condition returns the status, reason and message of condition typ of o.
func condition(o *unstructured.Unstructured, typ string) (status, reason, message string) {
	return statuscheck.Condition(o, typ)
}

// waitReady waits until o is Ready=True for its current generation and returns it; check,
// when given, must hold as well.
func waitReady(t testing.TB, o *unstructured.Unstructured, check ...func(Gomega, *unstructured.Unstructured)) *unstructured.Unstructured {
	t.Helper()
	var cur *unstructured.Unstructured
	NewWithT(t).Eventually(func(g Gomega) {
		cur = get(g, o)
		observed, _, _ := unstructured.NestedInt64(cur.Object, "status", "observedGeneration")
		status, reason, msg := condition(cur, "Ready")
		g.Expect(status).To(Equal("True"), "%s %s/%s is not Ready: %s: %s", cur.GetKind(), cur.GetNamespace(), cur.GetName(), reason, msg)
		g.Expect(observed).To(Equal(cur.GetGeneration()))
		for _, c := range check {
			c(g, cur)
		}
	}, timeout, interval).Should(Succeed())
	return cur
}

// waitNotReady waits until o is Ready=False with reason and a message holding every part
// of want, and returns the message.
func waitNotReady(t testing.TB, o *unstructured.Unstructured, reason string, want ...string) string {
	t.Helper()
	var msg string
	NewWithT(t).Eventually(func(g Gomega) {
		cur := get(g, o)
		var status, got string
		status, got, msg = condition(cur, "Ready")
		g.Expect(status).To(Equal("False"), "Ready of %s: %s %s", cur.GetName(), got, msg)
		g.Expect(got).To(Equal(reason), msg)
		for _, w := range want {
			g.Expect(msg).To(ContainSubstring(w))
		}
	}, timeout, interval).Should(Succeed())
	return msg
}

// requestReconcile sets reconcile.fluxcd.io/requestedAt on o, as `flux reconcile` (and a
// webhook Receiver) does, and returns the value set.
func requestReconcile(t testing.TB, o *unstructured.Unstructured) string {
	t.Helper()
	at := time.Now().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, requestedAtAnnotation, at)
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(o.GroupVersionKind())
	cur.SetNamespace(o.GetNamespace())
	cur.SetName(o.GetName())
	if err := env.Client.Patch(context.Background(), cur, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	return at
}

// waitHandled waits until o's status.lastHandledReconcileAt is at.
func waitHandled(t testing.TB, o *unstructured.Unstructured, at string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got, _, _ := unstructured.NestedString(get(g, o).Object, "status", "lastHandledReconcileAt")
		g.Expect(got).To(Equal(at))
	}, timeout, interval).Should(Succeed())
}

// waitDeployment waits until Deployment ns/name wants replicas and has them all updated
// and available (KWOK runs the pods), and returns it.
func waitDeployment(t testing.TB, ns, name string, replicas int32, check ...func(Gomega, *appsv1.Deployment)) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d)).To(Succeed())
		g.Expect(d.Spec.Replicas).To(HaveValue(Equal(replicas)))
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation))
		g.Expect(d.Status.UpdatedReplicas).To(Equal(replicas))
		g.Expect(d.Status.AvailableReplicas).To(Equal(replicas))
		for _, c := range check {
			c(g, d)
		}
	}, timeout, interval).Should(Succeed(), "Deployment %s/%s never had %d available replicas", ns, name, replicas)
	return d
}

// waitGone waits until o no longer exists.
func waitGone(t testing.TB, o client.Object) {
	t.Helper()
	NewWithT(t).Eventually(func() bool {
		err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(o), o)
		return apierrors.IsNotFound(err)
	}, timeout, interval).Should(BeTrue(), "%s still exists", client.ObjectKeyFromObject(o))
}

// scrape returns the Prometheus metrics of controller name.
func scrape(t testing.TB, name string) string {
	t.Helper()
	p := controllers.Process(name)
	if p == nil {
		t.Fatalf("no controller %s", name)
	}
	resp, err := http.Get("http://" + p.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// objectMeta names an object.
func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

// replaceOnce replaces the single occurrence of old in s, failing when there is none.
func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("%q is not in the text once:\n%s", old, s)
	}
	return strings.Replace(s, old, new, 1)
}

// expectReplicas checks, once, that Deployment ns/name wants replicas.
func expectReplicas(g Gomega, ns, name string, replicas int32) {
	d := &appsv1.Deployment{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d)).To(Succeed())
	g.Expect(d.Spec.Replicas).To(HaveValue(Equal(replicas)))
}

// deleteOnCleanup deletes objs when t ends, if it passed, and waits until they are gone
// (a Kustomization with prune takes what it applied with it; a HelmRelease uninstalls), so
// that stories stay independent and `go test -count=N` repeats them. A failed story leaves
// them for inspection.
func deleteOnCleanup(t testing.TB, objs ...*unstructured.Unstructured) {
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for _, o := range objs {
			if err := client.IgnoreNotFound(env.Client.Delete(context.Background(), o.DeepCopy())); err != nil {
				t.Errorf("failed to delete %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
			}
		}
		for _, o := range objs {
			waitGone(t, o.DeepCopy())
		}
	})
}
