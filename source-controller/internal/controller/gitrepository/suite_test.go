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
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env   *testenv.Env
	k8s   client.Client
	store *storage.Storage
	suite *sourcetest.Suite
)

func TestMain(m *testing.M) {
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds: []client.Object{&sourcev1.GitRepository{}},
		// source-controller's default concurrency, as the benchmark measures it.
		Args:     []string{"--concurrent=2", "--feature-gates=" + cloud.ObjectLevelWorkloadIdentity + "=true"},
		Register: Setup,
		Started: func(s *sourcetest.Suite) {
			env, k8s, store, suite = s.Env, s.Env.Client, s.Storage, s
		},
	}))
}

// newRepo creates a GitRepository for url in ns, changed by mutate, and returns it.
func newRepo(t testing.TB, ns, name, url string, mutate func(*sourcev1.GitRepository)) *sourcev1.GitRepository {
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
	return obj
}

// newSecret creates a Secret with data in ns.
func newSecret(t testing.TB, ns, name string, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatalf("failed to create Secret %s: %v", name, err)
	}
}

// get reads the GitRepository obj names.
func get(g Gomega, obj *sourcev1.GitRepository) *sourcev1.GitRepository {
	cur, err := statuscheck.Get(context.Background(), k8s, obj)
	g.Expect(err).NotTo(HaveOccurred())
	return cur
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

// revision returns Flux's revision string of a commit on a named reference.
func revision(name, hash string) string { return name + "@sha1:" + hash }
