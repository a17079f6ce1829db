package gitserver

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHTTPSRoundTrip clones and pushes with the git client over HTTPS with basic auth, and
// checks that only object requests are counted as fetches.
func TestHTTPSRoundTrip(t *testing.T) {
	repos := NewRepos(t)
	first := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, HTTPOptions{Username: "u", Password: "p"})
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CA, 0o600); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.RepoURL("app"))
	u.User = url.UserPassword("u", "p")
	t.Setenv("GIT_SSL_CAINFO", ca) // the environment's would win over http.sslCAInfo
	sslCA := "http.sslVerify=true"

	if got := Git(t, dir, "-c", sslCA, "ls-remote", u.String(), "refs/heads/master"); !strings.HasPrefix(got, first) {
		t.Fatalf("ls-remote = %q, want %s", got, first)
	}
	if n := repos.Fetches("app"); n != 0 {
		t.Fatalf("Fetches after ls-remote = %d, want 0", n)
	}
	Git(t, dir, "-c", sslCA, "clone", "-q", u.String(), "clone")
	if n := repos.Fetches("app"); n != 1 {
		t.Fatalf("Fetches after clone = %d, want 1", n)
	}
	work := filepath.Join(dir, "clone")
	WriteFile(t, filepath.Join(work, "b.yaml"), "b\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "pushed")
	Git(t, work, "-c", sslCA, "push", "-q", "origin", "master")
	if got, want := Git(t, repos.BarePath("app"), "rev-parse", "master"), Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Fatalf("bare master = %s, want the pushed %s", got, want)
	}

	bad := strings.Replace(u.String(), "u:p@", "u:wrong@", 1)
	cmd := []string{"-c", sslCA, "-c", "credential.helper=", "ls-remote", bad}
	if out, err := gitOutput(dir, cmd...); err == nil || !strings.Contains(out, "Authentication failed") {
		t.Fatalf("ls-remote with a wrong password = %q, %v; want an authentication failure", out, err)
	}
}

// TestSSHRoundTrip clones and pushes with the git client over SSH, checking the host key
// against the known_hosts line, and counts the upload-pack sessions.
func TestSSHRoundTrip(t *testing.T) {
	repos := NewRepos(t)
	first := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeSSH(t)
	dir := t.TempDir()
	key, known := filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(key, srv.Identity, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(known, srv.KnownHosts, 0o600); err != nil {
		t.Fatal(err)
	}
	sshCmd := fmt.Sprintf("core.sshCommand=ssh -i %s -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes", key, known)

	Git(t, dir, "-c", sshCmd, "clone", "-q", srv.RepoURL("app"), "clone")
	work := filepath.Join(dir, "clone")
	if got := Git(t, work, "rev-parse", "HEAD"); got != first {
		t.Fatalf("cloned HEAD = %s, want %s", got, first)
	}
	if n := repos.SSHUploadPacks("app"); n != 1 {
		t.Fatalf("SSHUploadPacks = %d, want 1", n)
	}
	Git(t, work, "commit", "-q", "--allow-empty", "-m", "pushed")
	Git(t, work, "-c", sshCmd, "push", "-q", "origin", "master")
	if got, want := Git(t, repos.BarePath("app"), "rev-parse", "master"), Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Fatalf("bare master = %s, want the pushed %s", got, want)
	}

	other := repos.ServeSSH(t)
	if err := os.WriteFile(known, other.KnownHosts, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := gitOutput(dir, "-c", sshCmd, "ls-remote", srv.RepoURL("app")); err == nil {
		t.Fatalf("ls-remote with a wrong known_hosts succeeded: %s", out)
	}
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := gitCommand(dir, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
