package ocirepository

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
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
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env *testenv.Env
	// store is the storage the suite's controller writes and serves.
	store *storage.Storage
)

func TestMain(m *testing.M) {
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourcev1.OCIRepository{}},
		Register: Setup,
		Started:  func(s *sourcetest.Suite) { env, store = s.Env, s.Storage },
	}))
}

// newRepo creates an OCIRepository with a 1h interval, so that only the test's own changes
// trigger reconciles.
func newRepo(t testing.TB, ns, name string, spec sourcev1.OCIRepositorySpec) *sourcev1.OCIRepository {
	t.Helper()
	if spec.Interval.Duration == 0 {
		spec.Interval = metav1.Duration{Duration: time.Hour}
	}
	obj := &sourcev1.OCIRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create OCIRepository %s: %v", name, err)
	}
	return obj
}

func get(t testing.TB, obj *sourcev1.OCIRepository) *sourcev1.OCIRepository {
	t.Helper()
	got := &sourcev1.OCIRepository{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatal(err)
	}
	return got
}

// waitReady waits until obj is Ready for its current generation and returns it.
func waitReady(t *testing.T, obj *sourcev1.OCIRepository) *sourcev1.OCIRepository {
	t.Helper()
	return waitFor(t, obj, func(o *sourcev1.OCIRepository) bool { return conditions.IsReady(o) })
}

// waitReason waits until obj's Ready condition has reason (for its current generation).
func waitReason(t *testing.T, obj *sourcev1.OCIRepository, status metav1.ConditionStatus, reason string) *sourcev1.OCIRepository {
	t.Helper()
	return waitFor(t, obj, func(o *sourcev1.OCIRepository) bool {
		c := conditions.Get(o, fluxmeta.ReadyCondition)
		return c != nil && c.Status == status && c.Reason == reason
	})
}

func waitFor(t *testing.T, obj *sourcev1.OCIRepository, ok func(*sourcev1.OCIRepository) bool) *sourcev1.OCIRepository {
	t.Helper()
	var got *sourcev1.OCIRepository
	NewWithT(t).Eventually(func() bool {
		got = get(t, obj)
		return got.Status.ObservedGeneration == got.Generation && ok(got)
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), func() string {
		return fmt.Sprintf("conditions: %+v", got.Status.Conditions)
	})
	checkStatus(t, got)
	return got
}

// checkStatus asserts the kstatus invariants and the generation bookkeeping.
func checkStatus(t *testing.T, obj *sourcev1.OCIRepository) {
	t.Helper()
	if err := conditions.CheckInvariants(obj); err != nil {
		t.Fatalf("kstatus invariants: %v (conditions %+v)", err, obj.Status.Conditions)
	}
	if obj.Status.ObservedGeneration != obj.Generation {
		t.Fatalf("observedGeneration %d, generation %d", obj.Status.ObservedGeneration, obj.Generation)
	}
}

// requestReconcile sets the requestedAt annotation and waits until the controller handled it.
func requestReconcile(t *testing.T, obj *sourcev1.OCIRepository) *sourcev1.OCIRepository {
	t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	cur := get(t, obj)
	patch := client.MergeFrom(cur.DeepCopy())
	if cur.Annotations == nil {
		cur.Annotations = map[string]string{}
	}
	cur.Annotations[fluxmeta.ReconcileRequestAnnotation] = token
	if err := env.Client.Patch(context.Background(), cur, patch); err != nil {
		t.Fatal(err)
	}
	return waitFor(t, obj, func(o *sourcev1.OCIRepository) bool { return o.Status.LastHandledReconcileAt == token })
}

// update changes obj's spec and returns the object with its new generation.
func update(t *testing.T, obj *sourcev1.OCIRepository, change func(*sourcev1.OCIRepository)) *sourcev1.OCIRepository {
	t.Helper()
	cur := get(t, obj)
	change(cur)
	if err := env.Client.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	return cur
}

// fetch downloads an artifact from the storage's HTTP server and unpacks it into a new
// directory, verifying its digest.
func fetch(t *testing.T, a *fluxmeta.Artifact) string {
	t.Helper()
	dir := t.TempDir()
	if err := artifact.Fetch(context.Background(), nil, a.URL, a.Digest, a.Size, dir, artifact.Limits{}); err != nil {
		t.Fatalf("failed to fetch the artifact: %v", err)
	}
	return dir
}

// download returns the raw bytes of an artifact from the storage's HTTP server.
func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secret creates a Secret in ns.
func secret(t *testing.T, ns, name string, typ corev1.SecretType, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: typ, Data: data}
	if err := env.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// eventsFor lists the events recorded for the object named name in ns.
func eventsFor(t *testing.T, ns, name string) []corev1.Event {
	t.Helper()
	list := &corev1.EventList{}
	if err := env.Client.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}
