package ocirepository

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env *testenv.Env
	// store is the storage the suite's controller writes and serves.
	store *storage.Storage
	suite *sourcetest.Suite
)

func TestMain(m *testing.M) {
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourcev1.OCIRepository{}},
		Args:     []string{"--feature-gates=" + cloud.ObjectLevelWorkloadIdentity + "=true"},
		Register: Setup,
		Started:  func(s *sourcetest.Suite) { env, store, suite = s.Env, s.Storage, s },
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

// get reads the OCIRepository obj names.
func get(t testing.TB, obj *sourcev1.OCIRepository) *sourcev1.OCIRepository {
	t.Helper()
	got, err := statuscheck.Get(context.Background(), env.Client, obj)
	if err != nil {
		t.Fatal(err)
	}
	return got
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

// eventsFor lists the events recorded for the object named name in ns, with their
// annotations (statuscheck.Events renders only their type, reason and message).
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
