package gitrepository

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestSuspendAndInterval checks spec.suspend and spec.interval: a suspended GitRepository
// fetches nothing; resumed, it is Ready and then follows a new commit by itself after its
// interval; suspended again, it follows no more.
func TestSuspendAndInterval(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	first := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Suspend, o.Spec.Interval = true, metav1.Duration{Duration: time.Second}
	})
	g.Consistently(func(g Gomega) []metav1.Condition { return get(g, repo).Status.Conditions }, 2*time.Second, testenv.Interval).Should(BeEmpty())
	g.Expect(repos.Fetches("app")).To(BeZero())

	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.Suspend = false })
	g.Expect(statuscheck.Ready(t, k8s, repo).Status.Artifact.Revision).To(Equal(revision("master", first)))
	second := repos.Commit(t, "app", "master", "second", map[string]string{"b.yaml": "b\n"})
	obj := statuscheck.Wait(t, k8s, repo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.Artifact.Revision).To(Equal(revision("master", second)))
	})

	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.Suspend = true })
	time.Sleep(2 * time.Second) // a reconcile already running ends
	fetches := repos.Fetches("app")
	repos.Commit(t, "app", "master", "third", map[string]string{"c.yaml": "c\n"})
	g.Consistently(func(g Gomega) string { return get(g, repo).Status.Artifact.Revision }, 3*time.Second, testenv.Interval).
		Should(Equal(obj.Status.Artifact.Revision))
	g.Expect(repos.Fetches("app")).To(Equal(fetches))
}
