package gitrepository

import (
	"testing"

	. "github.com/onsi/gomega"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// refFixture is a repository with branches master and dev, tags v1.0.0, v1.2.0 (annotated)
// and 2.0.0, and the reference refs/pull/1/head, served anonymously over HTTPS.
type refFixture struct {
	repos   *gitserver.Repos
	srv     *gitserver.HTTPServer
	commits map[string]string
}

func newRefFixture(t *testing.T) *refFixture {
	t.Helper()
	repos := gitserver.NewRepos(t)
	c := map[string]string{}
	c["first"] = repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	repos.Tag(t, "app", "v1.0.0", c["first"], "")
	c["second"] = repos.Commit(t, "app", "master", "second", map[string]string{"b.yaml": "b\n"})
	repos.Tag(t, "app", "v1.2.0", c["second"], "release 1.2.0")
	c["master"] = repos.Commit(t, "app", "master", "third", map[string]string{"c.yaml": "c\n"})
	repos.Tag(t, "app", "2.0.0", c["master"], "")
	repos.Branch(t, "app", "dev", c["first"])
	c["dev"] = repos.Commit(t, "app", "dev", "dev", map[string]string{"dev.yaml": "dev\n"})
	repos.Push(t, "app", "dev", "refs/pull/1/head")
	return &refFixture{repos: repos, srv: repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true}), commits: c}
}

// TestReferences checks every kind of reference and their precedence
// (commit > name > semver > tag > branch, default branch master).
func TestReferences(t *testing.T) {
	f := newRefFixture(t)
	c := f.commits
	tests := []struct {
		name  string
		ref   *sourcev1.GitRepositoryRef
		want  string
		files []string
	}{
		{name: "default branch", want: revision("master", c["master"]), files: []string{"a.yaml", "b.yaml", "c.yaml"}},
		{name: "branch", ref: &sourcev1.GitRepositoryRef{Branch: "dev"}, want: revision("dev", c["dev"]), files: []string{"a.yaml", "dev.yaml"}},
		{name: "tag", ref: &sourcev1.GitRepositoryRef{Tag: "v1.0.0"}, want: revision("v1.0.0", c["first"]), files: []string{"a.yaml"}},
		{name: "annotated tag over branch", ref: &sourcev1.GitRepositoryRef{Tag: "v1.2.0", Branch: "dev"}, want: revision("v1.2.0", c["second"]), files: []string{"a.yaml", "b.yaml"}},
		{name: "semver over tag", ref: &sourcev1.GitRepositoryRef{SemVer: "~1", Tag: "v1.0.0"}, want: revision("v1.2.0", c["second"]), files: []string{"a.yaml", "b.yaml"}},
		{name: "semver without v", ref: &sourcev1.GitRepositoryRef{SemVer: ">=1.0.0"}, want: revision("2.0.0", c["master"]), files: []string{"a.yaml", "b.yaml", "c.yaml"}},
		{name: "name over semver", ref: &sourcev1.GitRepositoryRef{Name: "refs/pull/1/head", SemVer: "*"}, want: revision("refs/pull/1/head", c["dev"]), files: []string{"a.yaml", "dev.yaml"}},
		{name: "commit over name", ref: &sourcev1.GitRepositoryRef{Commit: c["first"], Name: "refs/heads/dev"}, want: "sha1:" + c["first"], files: []string{"a.yaml"}},
		{name: "abbreviated commit", ref: &sourcev1.GitRepositoryRef{Commit: c["second"][:10]}, want: "sha1:" + c["second"], files: []string{"a.yaml", "b.yaml"}},
		{name: "commit on branch", ref: &sourcev1.GitRepositoryRef{Commit: c["second"], Branch: "master"}, want: revision("master", c["second"]), files: []string{"a.yaml", "b.yaml"}},
	}
	ns := testenv.NewNamespace(t, k8s)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			repo := newRepo(t, ns, "ref-"+string(rune('a'+i)), f.srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
				o.Spec.Reference = tt.ref
			})
			obj := statuscheck.Ready(t, k8s, repo)
			g.Expect(obj.Status.Artifact.Revision).To(Equal(tt.want))
			g.Expect(files(t, obj.Status.Artifact)).To(Equal(tt.files))
		})
	}
}

// TestCommitNoClone checks that a pinned commit already stored is not fetched again.
func TestCommitNoClone(t *testing.T) {
	g := NewWithT(t)
	f := newRefFixture(t)
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "pinned", f.srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Reference = &sourcev1.GitRepositoryRef{Commit: f.commits["second"]}
	})
	statuscheck.Ready(t, k8s, repo)
	before := f.repos.Fetches("app")
	statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(f.repos.Fetches("app")).To(Equal(before))
}
