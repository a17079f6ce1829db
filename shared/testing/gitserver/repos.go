// Package gitserver runs real Git servers for tests on 127.0.0.1: git http-backend behind
// net/http/cgi over HTTPS (or plain HTTP) with optional basic auth, bearer token and mutual
// TLS, and an SSH server that runs the real git upload-pack and receive-pack with public-key
// auth. Repos builds the bare repositories they serve, pushes commits and tags, and counts the
// upload-pack requests so that a test can prove that a client did not fetch.
package gitserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Repos is a directory of bare repositories, each with a working copy used to push to it.
type Repos struct {
	// Dir holds the bare repositories as <name>.git.
	Dir string

	work    string
	mu      sync.Mutex
	fetches map[string]int
	ssh     map[string]int
}

// NewRepos returns an empty set of repositories in a temporary directory of tb.
func NewRepos(tb testing.TB) *Repos {
	tb.Helper()
	root := tb.TempDir()
	r := &Repos{Dir: filepath.Join(root, "repos"), work: filepath.Join(root, "work"),
		fetches: map[string]int{}, ssh: map[string]int{}}
	for _, d := range []string{r.Dir, r.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

// Create makes the bare repository <name>.git whose branch master holds files (path to
// content) in one commit, and returns that commit's hash.
func (r *Repos) Create(tb testing.TB, name string, files map[string]string) string {
	tb.Helper()
	bare := r.BarePath(name)
	Git(tb, r.Dir, "init", "-q", "--bare", bare)
	Git(tb, bare, "config", "http.receivepack", "true")
	Git(tb, bare, "config", "uploadpack.allowReachableSHA1InWant", "true")
	work := filepath.Join(r.work, name)
	Git(tb, r.work, "init", "-q", work)
	Git(tb, work, "remote", "add", "origin", bare)
	return r.Commit(tb, name, "master", "initial commit", files)
}

// Commit writes files (path to content; an empty content removes the file) on branch of the
// repository, creating the branch from the current commit when it is new, commits them with
// message, pushes, and returns the new commit's hash.
func (r *Repos) Commit(tb testing.TB, name, branch, message string, files map[string]string) string {
	tb.Helper()
	work := filepath.Join(r.work, name)
	switch {
	case !r.hasCommits(work):
		Git(tb, work, "symbolic-ref", "HEAD", "refs/heads/"+branch)
	case Git(tb, work, "branch", "--list", branch) != "":
		Git(tb, work, "checkout", "-q", branch)
	default:
		Git(tb, work, "checkout", "-q", "-b", branch)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(work, filepath.FromSlash(p))
		if files[p] == "" {
			if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
				tb.Fatal(err)
			}
			continue
		}
		WriteFile(tb, full, files[p])
	}
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-q", "--allow-empty", "-m", message)
	Git(tb, work, "push", "-q", "-f", "origin", branch)
	return Git(tb, work, "rev-parse", "HEAD")
}

// Tag creates the tag on the commit rev (a hash or branch) of the repository and pushes it;
// a non-empty message makes it an annotated tag.
func (r *Repos) Tag(tb testing.TB, name, tag, rev, message string) {
	tb.Helper()
	work := filepath.Join(r.work, name)
	if message != "" {
		Git(tb, work, "tag", "-f", "-a", tag, "-m", message, rev)
	} else {
		Git(tb, work, "tag", "-f", tag, rev)
	}
	Git(tb, work, "push", "-q", "-f", "origin", "refs/tags/"+tag)
}

// Branch creates (or moves) branch to the commit rev of the repository and pushes it.
func (r *Repos) Branch(tb testing.TB, name, branch, rev string) {
	tb.Helper()
	work := filepath.Join(r.work, name)
	Git(tb, work, "branch", "-f", branch, rev)
	Git(tb, work, "push", "-q", "-f", "origin", branch)
}

// Push pushes the commit rev of the repository's working copy to the reference ref of the
// bare repository, such as refs/pull/1/head.
func (r *Repos) Push(tb testing.TB, name, rev, ref string) {
	tb.Helper()
	Git(tb, filepath.Join(r.work, name), "push", "-q", "-f", "origin", rev+":"+ref)
}

// WorkDir returns the working copy of the repository, for commands such as submodule add.
func (r *Repos) WorkDir(name string) string { return filepath.Join(r.work, name) }

// BarePath returns the path of the bare repository <name>.git.
func (r *Repos) BarePath(name string) string { return filepath.Join(r.Dir, name+".git") }

// Fetches returns how many times a client asked the HTTP(S) server for objects of the
// repository (POST git-upload-pack requests that fetch). Listing references, in protocol
// v0 or v2, is not counted.
func (r *Repos) Fetches(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches[name]
}

// SSHUploadPacks returns how many git upload-pack sessions the SSH server ran for the
// repository. Over SSH, listing references is a session too.
func (r *Repos) SSHUploadPacks(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ssh[name]
}

func (r *Repos) count(m map[string]int, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m[name]++
}

func (r *Repos) hasCommits(work string) bool {
	cmd := exec.Command("git", "rev-parse", "--verify", "-q", "HEAD")
	cmd.Dir = work
	return cmd.Run() == nil
}

// Git runs the git binary in dir with a fixed identity and no user or system configuration,
// fails tb on error and returns the trimmed output.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := gitCommand(dir, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Output runs the git binary in dir as Git does and returns its output untrimmed (stdout
// only: a file's exact bytes with git show), or an error holding stderr.
func Output(dir string, args ...string) (string, error) {
	cmd := gitCommand(dir, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// gitCommand returns a git command in dir with a fixed identity and no user or system
// configuration, that never prompts.
func gitCommand(dir string, args ...string) *exec.Cmd {
	full := append([]string{"-c", "user.name=Ferry Test", "-c", "user.email=test@example.com",
		"-c", "init.defaultBranch=master", "-c", "protocol.file.allow=always",
		"-c", "advice.detachedHead=false"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false", "SSH_ASKPASS=/bin/false")
	return cmd
}

// WriteFile writes content to path, creating its directories.
func WriteFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// repoName returns the repository name of a URL path such as /name.git/info/refs.
func repoName(urlPath string) string {
	for _, part := range strings.Split(urlPath, "/") {
		if name, ok := strings.CutSuffix(part, ".git"); ok {
			return name
		}
	}
	return ""
}

func gitBinary() (string, error) {
	p, err := exec.LookPath("git")
	if err != nil {
		return "", fmt.Errorf("failed to find the git binary: %w", err)
	}
	return p, nil
}
