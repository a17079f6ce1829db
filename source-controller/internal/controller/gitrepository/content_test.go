package gitrepository

import (
	"testing"

	. "github.com/onsi/gomega"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestIgnore checks the default exclusions, .sourceignore files, spec.ignore, and that a
// change of spec.ignore rebuilds the artifact without a new commit.
func TestIgnore(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{
		"deploy/app.yaml": "a\n", "deploy/logo.png": "png", ".github/workflows/ci.yaml": "ci\n",
		".gitlab-ci.yml": "ci\n", "docs/readme.md": "docs\n", "docs/.sourceignore": "*.md\n",
		"secret/key.yaml": "k\n",
	})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), nil)
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"deploy/app.yaml", "docs/.sourceignore", "secret/key.yaml"}))
	g.Expect(obj.Status.ObservedIgnore).To(BeNil())

	ignore := "secret/\n"
	fetches := repos.Fetches("app")
	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.Ignore = &ignore })
	obj = statuscheck.Wait(t, k8s, repo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.ObservedIgnore).To(Equal(&ignore))
	})
	g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Ready=True")))
	// spec.ignore replaces the default exclusions; .sourceignore files still apply.
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{
		".github/workflows/ci.yaml", ".gitlab-ci.yml", "deploy/app.yaml", "deploy/logo.png", "docs/.sourceignore",
	}))
	g.Expect(repos.Fetches("app")).To(Equal(fetches + 1))
}

// TestSparseCheckout checks that only the listed directories reach the artifact and that a
// change of the list rebuilds it.
func TestSparseCheckout(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"apps/a.yaml": "a\n", "infra/b.yaml": "b\n", "other/c.yaml": "c\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.SparseCheckout = []string{"apps"}
	})
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"apps/a.yaml"}))
	g.Expect(obj.Status.ObservedSparseCheckout).To(Equal([]string{"apps"}))

	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.SparseCheckout = []string{"apps", "infra"} })
	obj = statuscheck.Wait(t, k8s, repo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.ObservedSparseCheckout).To(Equal([]string{"apps", "infra"}))
	})
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"apps/a.yaml", "infra/b.yaml"}))
}

// TestSubmodules checks that recurseSubmodules brings the submodule's files into the
// artifact, and that turning it on rebuilds the artifact.
func TestSubmodules(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	repos.Create(t, "lib", map[string]string{"lib.yaml": "lib\n"})
	repos.Create(t, "app", map[string]string{"app.yaml": "app\n"})
	gitserver.Git(t, repos.WorkDir("app"), "submodule", "add", "-q", srv.RepoURL("lib"), "vendor/lib")
	repos.Commit(t, "app", "master", "add the lib submodule", nil)
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), nil)
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"app.yaml"}))

	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.RecurseSubmodules = true })
	obj = statuscheck.Wait(t, k8s, repo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.ObservedRecurseSubmodules).To(BeTrue())
	})
	// The submodule's .git file stays: like Flux, the default exclusions name the .git/
	// directory only.
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"app.yaml", "vendor/lib/.git", "vendor/lib/lib.yaml"}))
}

// TestInclude checks that the artifact of an included GitRepository is copied from fromPath
// to toPath, that the includer waits for a missing include, and that a new artifact of the
// included repository rebuilds the includer's.
func TestInclude(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"app.yaml": "app\n", "shared/keep.yaml": "old\n"})
	repos.Create(t, "lib", map[string]string{"base/lib.yaml": "lib\n", "other/x.yaml": "x\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	appRepo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Include = []sourcev1.GitRepositoryInclude{
			{GitRepositoryRef: fluxmeta.LocalObjectReference{Name: "lib"}, FromPath: "base", ToPath: "shared"},
			{GitRepositoryRef: fluxmeta.LocalObjectReference{Name: "lib"}},
		}
	})
	statuscheck.NotReady(t, k8s, appRepo, sourcev1.IncludeUnavailableCondition, "included GitRepository 'lib' not found")
	obj := statuscheck.Wait(t, k8s, appRepo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(conditionsOf(o)).To(ContainElement("IncludeUnavailable=True/NotFound: included GitRepository 'lib' not found"))
	})
	g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Reconciling=True/Progressing")))

	libRepo := newRepo(t, ns, "lib", srv.RepoURL("lib"), nil)
	lib := statuscheck.Ready(t, k8s, libRepo)
	obj = statuscheck.Ready(t, k8s, appRepo)
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"app.yaml", "lib/base/lib.yaml", "lib/other/x.yaml", "shared/lib.yaml"}))
	g.Expect(obj.Status.IncludedArtifacts).To(HaveLen(2))
	g.Expect(obj.Status.IncludedArtifacts[0].Revision).To(Equal(lib.Status.Artifact.Revision))
	g.Expect(obj.Status.ObservedInclude).To(Equal(obj.Spec.Include))
	g.Expect(conditionsOf(obj)).NotTo(ContainElement(HavePrefix("IncludeUnavailable")))

	// A new commit of the included repository reaches the includer through the watch.
	next := repos.Commit(t, "lib", "master", "more lib", map[string]string{"base/more.yaml": "more\n"})
	statuscheck.RequestReconcile(t, k8s, libRepo)
	obj = statuscheck.Wait(t, k8s, appRepo, func(g Gomega, o *sourcev1.GitRepository) {
		g.Expect(o.Status.IncludedArtifacts).To(HaveLen(2))
		g.Expect(o.Status.IncludedArtifacts[0].Revision).To(Equal(revision("master", next)))
	})
	g.Expect(files(t, obj.Status.Artifact)).To(ContainElement("shared/more.yaml"))
	g.Expect(obj.Status.Artifact.Revision).To(Equal(statuscheck.Ready(t, k8s, appRepo).Status.Artifact.Revision))
}
