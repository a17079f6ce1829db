package gitrepository

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// TestRestart checks that a controller started again on the same storage finds the stored
// artifact and serves it without fetching the unchanged remote again.
func TestRestart(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	key := newRepo(t, ns, "app", srv.RepoURL("app"), nil)
	before := waitReady(t, key)
	fetches := repos.Fetches("app")

	// A new storage on the same directory, advertised elsewhere, as after a restart.
	restarted, err := storage.New(storage.Config{Path: store.Path(), AdvertisedAddr: "source-controller.flux-system.svc"})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = restarted.Close() })
	r := &Reconciler{rt: running.Runtime, storage: restarted}
	_, err = r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())

	after := waitFor(t, key, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.Artifact.URL).To(HavePrefix("http://source-controller.flux-system.svc/"))
	})
	g.Expect(repos.Fetches("app")).To(Equal(fetches))
	g.Expect(after.Status.Artifact.Digest).To(Equal(before.Status.Artifact.Digest))
	g.Expect(after.Status.Artifact.Path).To(Equal(before.Status.Artifact.Path))
	g.Expect(conditionsOf(after)).To(ContainElement(HavePrefix("Ready=True/Succeeded: stored artifact for revision")))
}
