package demo

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// Author is the identity of the demo repository's first commit.
const Author = "Ferry demo <demo@ferry.invalid>"

// gitServer serves the bare repositories of a directory over plain HTTP on 127.0.0.1, with
// git http-backend; pushes are allowed to every repository createRepo makes.
type gitServer struct {
	dir string
	url string
	srv *http.Server
	ln  net.Listener
}

// startGitServer creates dir and serves the repositories in it.
func startGitServer(dir string) (*gitServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the Git directory: %w", err)
	}
	backend, err := gitserver.Backend(dir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen for the Git server: %w", err)
	}
	s := &gitServer{dir: dir, url: "http://" + ln.Addr().String(), srv: &http.Server{Handler: backend}, ln: ln}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// close stops the server.
func (s *gitServer) close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("failed to stop the Git server: %w", err)
	}
	return nil
}

// createRepo makes the bare repository <name>.git, accepting pushes, whose branch master
// holds the files of seedDir, as edit leaves them in a working copy, in one commit by Author,
// and returns its URL.
func (s *gitServer) createRepo(name, seedDir string, edit func(work string) error) (string, error) {
	bare := filepath.Join(s.dir, name+".git")
	work, err := os.MkdirTemp(s.dir, ".work-")
	if err != nil {
		return "", fmt.Errorf("failed to create a working copy: %w", err)
	}
	defer os.RemoveAll(work)
	if err := os.CopyFS(work, os.DirFS(seedDir)); err != nil {
		return "", fmt.Errorf("failed to copy %s: %w", seedDir, err)
	}
	if err := edit(work); err != nil {
		return "", err
	}
	steps := [][]string{
		{"init", "-q", "--bare", bare},
		{"-C", bare, "config", "http.receivepack", "true"},
		{"-C", work, "init", "-q"},
		{"-C", work, "add", "-A"},
		{"-C", work, "commit", "-q", "--author", Author, "-m", "Ferry demo: the seed repository"},
		{"-C", work, "push", "-q", bare, "HEAD:refs/heads/master"},
	}
	for _, args := range steps {
		if _, err := git(s.dir, args...); err != nil {
			return "", err
		}
	}
	return s.url + "/" + name + ".git", nil
}

// git runs git in dir with no user or system configuration, the demo's identity and master
// as the default branch, never prompting, and returns its trimmed output.
func git(dir string, args ...string) (string, error) {
	name, email, _ := strings.Cut(strings.TrimSuffix(Author, ">"), " <")
	full := append([]string{"-c", "user.name=" + name, "-c", "user.email=" + email,
		"-c", "init.defaultBranch=master", "-c", "advice.detachedHead=false"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("failed to run git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
