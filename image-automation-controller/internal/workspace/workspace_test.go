package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// remote is a repository served over HTTPS with basic auth, and the clone's view of it.
type remote struct {
	repos *gitserver.Repos
	url   string
	auth  *git.Auth
	t     *git.Transport
}

func newRemote(t *testing.T, files map[string]string) *remote {
	t.Helper()
	repos := gitserver.NewRepos(t)
	repos.Create(t, "repo", files)
	repos.Branch(t, "repo", "main", "master")
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: "u", Password: "p"})
	auth := &git.Auth{Username: "u", Password: "p", CAData: srv.CA}
	tr, err := auth.Transport(srv.RepoURL("repo"))
	if err != nil {
		t.Fatal(err)
	}
	return &remote{repos: repos, url: srv.RepoURL("repo"), auth: auth, t: tr}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// head lists the remote and returns the want of branch.
func (rm *remote) want(t *testing.T, branch, local string) *Want {
	t.Helper()
	refs, err := git.ListRefs(ctx(t), rm.url, rm.auth)
	if err != nil {
		t.Fatal(err)
	}
	return &Want{Remote: "refs/heads/" + branch, Local: plumbing.ReferenceName(local), Hash: plumbing.NewHash(refs["refs/heads/"+branch])}
}

// upper uppercases the selected files.
func upper(_ string, data []byte) ([]byte, bool, error) {
	out := []byte(strings.ToUpper(string(data)))
	return out, string(out) != string(data), nil
}

func yamlOnly(p string) bool { return strings.HasSuffix(p, ".yaml") }

// TestFetchRewriteCommitPush: a kept clone fetches only what is new, rewrites files below a
// path in Git objects, commits on the fetched head and pushes fast-forward.
func TestFetchRewriteCommitPush(t *testing.T) {
	rm := newRemote(t, map[string]string{"apps/a.yaml": "a\n", "apps/b.txt": "b\n", "other/c.yaml": "c\n", "apps/sub/d.yaml": "d\n"})
	store, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo, err := store.Open("uid-1", rm.url)
	if err != nil {
		t.Fatal(err)
	}
	w := rm.want(t, "main", "refs/ferry/checkout")
	if n, err := repo.Fetch(ctx(t), rm.t, []*Want{w}); err != nil || n != 1 {
		t.Fatalf("Fetch = %d, %v", n, err)
	}
	fetches := rm.repos.Fetches("repo")
	if n, err := repo.Fetch(ctx(t), rm.t, []*Want{w}); err != nil || n != 0 || rm.repos.Fetches("repo") != fetches {
		t.Fatalf("a second Fetch of the same commit = %d, %v (fetches %d -> %d)", n, err, fetches, rm.repos.Fetches("repo"))
	}
	tree, changed, err := repo.Rewrite(w.Hash, "apps", yamlOnly, upper)
	if err != nil || !changed {
		t.Fatalf("Rewrite = %v, %v", changed, err)
	}
	if _, changed, err := repo.Rewrite(w.Hash, "missing", yamlOnly, upper); err == nil || changed {
		t.Fatalf("Rewrite of a missing path = %v, %v", changed, err)
	}
	c, err := repo.Commit(tree, w.Hash, Author{Name: "Flux", Email: "flux@example.com", When: time.Now()}, "update", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.SetRef(plumbing.NewBranchReferenceName("main"), c); err != nil {
		t.Fatal(err)
	}
	if err := repo.Push(ctx(t), rm.t, Push{Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	work := rm.repos.WorkDir("repo")
	gitserver.Git(t, work, "fetch", "-q", "origin")
	if got := gitserver.Git(t, work, "rev-parse", "origin/main"); got != c.String() {
		t.Fatalf("remote main = %s, want %s", got, c)
	}
	for file, want := range map[string]string{"apps/a.yaml": "A", "apps/b.txt": "b", "other/c.yaml": "c", "apps/sub/d.yaml": "D"} {
		if got := gitserver.Git(t, work, "show", "origin/main:"+file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if got := gitserver.Git(t, work, "log", "-1", "--format=%an <%ae>|%s", "origin/main"); got != "Flux <flux@example.com>|update" {
		t.Errorf("commit = %q", got)
	}

	// Someone pushes meanwhile: the next push of a commit on the old head is refused as moved.
	rm.repos.Commit(t, "repo", "main", "someone else", map[string]string{"x.yaml": "x\n"})
	c2, err := repo.Commit(tree, w.Hash, Author{Name: "Flux", Email: "flux@example.com", When: time.Now()}, "again", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.SetRef(plumbing.NewBranchReferenceName("main"), c2); err != nil {
		t.Fatal(err)
	}
	if err := repo.Push(ctx(t), rm.t, Push{Branch: "main"}); !errors.Is(err, ErrMoved) {
		t.Fatalf("push over someone's commit = %v, want ErrMoved", err)
	}
	if err := repo.Push(ctx(t), rm.t, Push{Branch: "main", Force: true, Expect: w.Hash}); !errors.Is(err, ErrMoved) {
		t.Fatalf("forced push with a stale lease = %v, want ErrMoved", err)
	}

	// Reopening the store finds the clone; another URL starts it afresh.
	if !store.Exists("uid-1") {
		t.Fatal("the clone is not kept")
	}
	again, err := store.Open("uid-1", rm.url)
	if err != nil || !again.hasCommit(c) {
		t.Fatalf("reopened clone lost its objects: %v", err)
	}
	if other, err := store.Open("uid-1", rm.url+"x"); err != nil || other.hasCommit(c) {
		t.Fatalf("a clone of another URL must start empty: %v", err)
	}
	if err := store.Remove("uid-1"); err != nil || store.Exists("uid-1") {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := store.Open("../x", rm.url); err == nil {
		t.Fatal("a key leaving the store must be refused")
	}
}

// TestPushRefusals: a branch protected by a hook, and push options, on the real git server.
func TestPushRefusals(t *testing.T) {
	rm := newRemote(t, map[string]string{"a.yaml": "a\n"})
	bare := rm.repos.BarePath("repo")
	hook := "#!/bin/sh\n" +
		"while read old new ref; do if [ \"$ref\" = refs/heads/protected ]; then echo 'protected branch' >&2; exit 1; fi; done\n" +
		"i=0; : > \"$GIT_DIR/push-options\"; while [ $i -lt \"${GIT_PUSH_OPTION_COUNT:-0}\" ]; do eval echo \\$GIT_PUSH_OPTION_$i >> \"$GIT_DIR/push-options\"; i=$((i+1)); done\n"
	if err := os.WriteFile(filepath.Join(bare, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	store, _ := NewStore(t.TempDir())
	repo, err := store.Open("uid", rm.url)
	if err != nil {
		t.Fatal(err)
	}
	w := rm.want(t, "main", "refs/ferry/checkout")
	if _, err := repo.Fetch(ctx(t), rm.t, []*Want{w}); err != nil {
		t.Fatal(err)
	}
	tree, _, _ := repo.Rewrite(w.Hash, "", yamlOnly, upper)
	c, _ := repo.Commit(tree, w.Hash, Author{Name: "F", Email: "f@example.com", When: time.Now()}, "m", nil)
	for _, b := range []string{"protected", "feature"} {
		if err := repo.SetRef(plumbing.NewBranchReferenceName(b), c); err != nil {
			t.Fatal(err)
		}
	}
	err = repo.Push(ctx(t), rm.t, Push{Branch: "protected"})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "refs/heads/protected") {
		t.Fatalf("push to a protected branch = %v", err)
	}
	if strings.Contains(err.Error(), "p@") || strings.Contains(err.Error(), ":p") {
		t.Fatalf("the error quotes credentials: %v", err)
	}
	options := map[string]string{"merge_request.create": "", "topic": "flux"}
	if err := repo.Push(ctx(t), rm.t, Push{Branch: "feature", Options: options}); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "push options") {
		t.Fatalf("push options to a server without them = %v", err)
	}
	gitserver.Git(t, bare, "config", "receive.advertisePushOptions", "true")
	if err := repo.Push(ctx(t), rm.t, Push{Branch: "feature", Options: options, Refspec: "refs/heads/feature:refs/heads/review"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(bare, "push-options"))
	if string(got) != "merge_request.create=\ntopic=flux\n" && string(got) != "topic=flux\nmerge_request.create=\n" {
		t.Errorf("the server got push options %q", got)
	}
	if h := gitserver.Git(t, bare, "rev-parse", "refs/heads/review"); h != c.String() {
		t.Errorf("the refspec pushed %s, want %s", h, c)
	}
}
