package git

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testUser     = "ferry"
	testPassword = "s3cr3t-pa55"
	testToken    = "t0k3n-value"
)

// gitRun runs the real git binary to build fixtures and returns its trimmed output.
func gitRun(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	full := append([]string{"-c", "user.name=Ferry Test", "-c", "user.email=test@example.com",
		"-c", "init.defaultBranch=master", "-c", "protocol.file.allow=always"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// fixture is a bare repository served over HTTPS with basic auth.
type fixture struct {
	url     string
	auth    *Auth
	commits map[string]string // ref name -> commit hash
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// newFixture builds repo.git with branches master and dev, tags v1.0.0, v1.2.0
// (annotated), 2.0.0 and a ref refs/pull/1/head, plus extra files in master.
func newFixture(tb testing.TB, extraFiles int) *fixture {
	tb.Helper()
	root := tb.TempDir()
	work := filepath.Join(root, "work")
	bare := filepath.Join(root, "repos", "repo.git")
	gitRun(tb, root, "init", "-q", "--bare", bare)
	gitRun(tb, root, "init", "-q", work)
	commits := map[string]string{}
	commit := func(file, msg string) string {
		writeFile(tb, filepath.Join(work, file), msg+"\n")
		gitRun(tb, work, "add", "-A")
		gitRun(tb, work, "commit", "-q", "-m", msg)
		return gitRun(tb, work, "rev-parse", "HEAD")
	}
	for i := 0; i < extraFiles; i++ {
		writeFile(tb, filepath.Join(work, "files", fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%03d.yaml", i)), fmt.Sprintf("n: %d\n", i))
	}
	commits["first"] = commit("apps/a.yaml", "first")
	gitRun(tb, work, "tag", "v1.0.0")
	commits["v1.0.0"] = commits["first"]
	commits["second"] = commit("apps/b.yaml", "second")
	gitRun(tb, work, "tag", "-a", "v1.2.0", "-m", "release 1.2.0")
	commits["v1.2.0"] = commits["second"]
	commits["master"] = commit("infra/c.yaml", "third")
	gitRun(tb, work, "tag", "2.0.0")
	commits["2.0.0"] = commits["master"]
	gitRun(tb, work, "checkout", "-q", "-b", "dev", commits["first"])
	commits["dev"] = commit("dev.yaml", "dev")
	gitRun(tb, work, "push", "-q", bare, "master", "dev", "--tags")
	gitRun(tb, work, "push", "-q", bare, "dev:refs/pull/1/head")

	srv := httptest.NewTLSServer(basicAuth(&cgi.Handler{
		Path: gitPath(tb),
		Args: []string{"http-backend"},
		Root: "/git",
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "repos"), "GIT_HTTP_EXPORT_ALL=1"},
	}))
	tb.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return &fixture{
		url:     srv.URL + "/git/repo.git",
		auth:    &Auth{Username: testUser, Password: testPassword, CAData: ca},
		commits: commits,
	}
}

func gitPath(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		tb.Fatalf("git binary not found: %v", err)
	}
	return p
}

func basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+testToken {
			next.ServeHTTP(w, r)
			return
		}
		u, p, ok := r.BasicAuth()
		if !ok || u != testUser || p != testPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
