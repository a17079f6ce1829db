package checkout

import (
	"fmt"
	"testing"

	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

const (
	testUser     = "ferry"
	testPassword = "s3cr3t-pa55"
	testToken    = "t0k3n-value"
)

// fixture is a bare repository served over HTTPS with basic auth.
type fixture struct {
	url     string
	auth    *git.Auth
	commits map[string]string // ref name -> commit hash
}

// newFixture builds repo.git with branches master and dev, tags v1.0.0, v1.2.0
// (annotated), 2.0.0 and a ref refs/pull/1/head, plus extra files in master.
func newFixture(tb testing.TB, extraFiles int) *fixture {
	tb.Helper()
	repos := gitserver.NewRepos(tb)
	files := map[string]string{"apps/a.yaml": "first\n"}
	for i := 0; i < extraFiles; i++ {
		files[fmt.Sprintf("files/d%02d/f%03d.yaml", i%20, i)] = fmt.Sprintf("n: %d\n", i)
	}
	commits := map[string]string{}
	commits["first"] = repos.Create(tb, "repo", files)
	repos.Tag(tb, "repo", "v1.0.0", commits["first"], "")
	commits["v1.0.0"] = commits["first"]
	commits["second"] = repos.Commit(tb, "repo", "master", "second", map[string]string{"apps/b.yaml": "second\n"})
	repos.Tag(tb, "repo", "v1.2.0", commits["second"], "release 1.2.0")
	commits["v1.2.0"] = commits["second"]
	commits["master"] = repos.Commit(tb, "repo", "master", "third", map[string]string{"infra/c.yaml": "third\n"})
	repos.Tag(tb, "repo", "2.0.0", commits["master"], "")
	commits["2.0.0"] = commits["master"]
	repos.Branch(tb, "repo", "dev", commits["first"])
	commits["dev"] = repos.Commit(tb, "repo", "dev", "dev", map[string]string{"dev.yaml": "dev\n"})
	repos.Push(tb, "repo", "dev", "refs/pull/1/head")

	srv := repos.ServeHTTP(tb, gitserver.HTTPOptions{Username: testUser, Password: testPassword, BearerToken: testToken})
	return &fixture{
		url:     srv.RepoURL("repo"),
		auth:    &git.Auth{Username: testUser, Password: testPassword, CAData: srv.CA},
		commits: commits,
	}
}
