package gitrepository

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcetest "github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRestart checks that the controller, restarted on the same storage with a new
// advertised address, finds the stored artifact, serves it at the new address without
// fetching the unchanged remote again, and fetches it again once its file vanished.
func TestRestart(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), nil)
	before := statuscheck.Ready(t, k8s, repo)
	fetches := repos.Fetches("app")

	addr := suite.Restart(t)
	after := statuscheck.RequestReconcile(t, k8s, repo)
	sourcetest.CheckRestamped(t, before.Status.Artifact, after.Status.Artifact, addr)
	g.Expect(repos.Fetches("app")).To(Equal(fetches))
	g.Expect(conditionsOf(after)).To(ContainElement(HavePrefix("Ready=True/Succeeded: stored artifact for revision")))
	g.Expect(files(t, after.Status.Artifact)).To(Equal([]string{"a.yaml"}))

	g.Expect(os.Remove(filepath.Join(store.Path(), filepath.FromSlash(after.Status.Artifact.Path)))).To(Succeed())
	again := statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(repos.Fetches("app")).To(Equal(fetches + 1))
	sourcetest.CheckStoredAgain(t, before.Status.Artifact, again.Status.Artifact, addr)
	g.Expect(conditionsOf(again)).To(ContainElement(HavePrefix("ArtifactInStorage=True/Succeeded")))
	g.Expect(files(t, again.Status.Artifact)).To(Equal([]string{"a.yaml"}))
}
