package gitrepository

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env     *testenv.Env
	k8s     client.Client
	store   *storage.Storage
	running *ctrltest.Manager
)

func TestMain(m *testing.M) {
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds: []client.Object{&sourcev1.GitRepository{}},
		// source-controller's default concurrency, as the benchmark measures it.
		Args:     []string{"--concurrent=2"},
		Register: Setup,
		Started: func(s *sourcetest.Suite) {
			env, k8s, store, running = s.Env, s.Env.Client, s.Storage, s.Manager
		},
	}))
}

// newRepo creates a GitRepository for url in ns, changed by mutate, and returns its key.
func newRepo(t testing.TB, ns, name, url string, mutate func(*sourcev1.GitRepository)) client.ObjectKey {
	t.Helper()
	obj := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.GitRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}},
	}
	if mutate != nil {
		mutate(obj)
	}
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create GitRepository %s: %v", name, err)
	}
	return client.ObjectKeyFromObject(obj)
}

// newSecret creates a Secret with data in ns.
func newSecret(t testing.TB, ns, name string, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatalf("failed to create Secret %s: %v", name, err)
	}
}

// get reads the GitRepository key.
func get(g Gomega, key client.ObjectKey) *sourcev1.GitRepository {
	obj := &sourcev1.GitRepository{}
	g.Expect(k8s.Get(context.Background(), key, obj)).To(Succeed())
	return obj
}

// waitReady waits until the GitRepository is Ready at its generation and returns it.
func waitReady(t testing.TB, key client.ObjectKey) *sourcev1.GitRepository {
	t.Helper()
	return waitFor(t, key, func(g Gomega, obj *sourcev1.GitRepository) {
		g.Expect(conditions.IsReady(obj)).To(BeTrue(), "Ready: %+v", conditions.Get(obj, fluxmeta.ReadyCondition))
		g.Expect(obj.Status.Artifact).NotTo(BeNil())
	})
}

// waitNotReady waits until the GitRepository's Ready condition is False at its generation with
// the reason and a message containing msg, and returns it.
func waitNotReady(t testing.TB, key client.ObjectKey, reason, msg string) *sourcev1.GitRepository {
	t.Helper()
	return waitFor(t, key, func(g Gomega, obj *sourcev1.GitRepository) {
		ready := conditions.Get(obj, fluxmeta.ReadyCondition)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(reason))
		g.Expect(ready.Message).To(ContainSubstring(msg))
	})
}

// waitFor polls the GitRepository until check passes at its current generation, checks the
// kstatus invariants and returns it.
func waitFor(t testing.TB, key client.ObjectKey, check func(Gomega, *sourcev1.GitRepository)) *sourcev1.GitRepository {
	t.Helper()
	var obj *sourcev1.GitRepository
	NewWithT(t).Eventually(func(g Gomega) {
		obj = get(g, key)
		g.Expect(obj.Status.ObservedGeneration).To(Equal(obj.Generation))
		check(g, obj)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	if err := conditions.CheckInvariants(obj); err != nil {
		t.Fatalf("kstatus invariants of %s: %v", key, err)
	}
	return obj
}

// requestReconcile sets the requestedAt annotation and waits until the controller handled it.
func requestReconcile(t testing.TB, key client.ObjectKey) *sourcev1.GitRepository {
	t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	g := NewWithT(t)
	g.Eventually(func() error {
		obj := &sourcev1.GitRepository{}
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		if obj.Annotations == nil {
			obj.Annotations = map[string]string{}
		}
		obj.Annotations[fluxmeta.ReconcileRequestAnnotation] = token
		return k8s.Update(context.Background(), obj)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	return waitFor(t, key, func(g Gomega, obj *sourcev1.GitRepository) {
		g.Expect(obj.Status.LastHandledReconcileAt).To(Equal(token))
	})
}

// update changes the GitRepository's spec with mutate, retrying on conflicts.
func update(t testing.TB, key client.ObjectKey, mutate func(*sourcev1.GitRepository)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		obj := &sourcev1.GitRepository{}
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(context.Background(), obj)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}

// files downloads the artifact from its URL, verifies it and returns its file paths, sorted.
func files(t testing.TB, a *fluxmeta.Artifact) []string {
	t.Helper()
	dir := t.TempDir()
	if err := artifact.Fetch(context.Background(), http.DefaultClient, a.URL, a.Digest, a.Size, dir, artifact.Limits{}); err != nil {
		t.Fatalf("failed to fetch artifact %s: %v", a.URL, err)
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// events returns the reason and message of the events recorded for the object name in ns.
func events(g Gomega, ns, name string) []string {
	var list corev1.EventList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

// revision returns Flux's revision string of a commit on a named reference.
func revision(name, hash string) string { return name + "@sha1:" + hash }
