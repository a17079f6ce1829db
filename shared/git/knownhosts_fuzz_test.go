package git

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// fuzzKey is a fixed host key the fuzz inputs may name (seeded), and strangerKey one they
// never can (its bytes are checked absent from the input).
func fuzzKeys(t testing.TB) (known, stranger ssh.PublicKey) {
	t.Helper()
	mk := func(seed byte) ssh.PublicKey {
		priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
		k, err := ssh.NewPublicKey(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return mk(1), mk(2)
}

// hashedHost is the `ssh-keygen -H` form of host.
func hashedHost(host string, salt []byte) string {
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FuzzKnownHosts feeds known_hosts content from a Secret and a host name to the host key
// check. Whatever the content: no panic; a key the content does not hold is never accepted;
// a key the content marks @revoked is never accepted; and whatever Ferry accepts, the
// reference implementation (golang.org/x/crypto/ssh/knownhosts, reading the same content
// from a file) accepts too: Ferry is never more permissive than OpenSSH's rules.
func FuzzKnownHosts(f *testing.F) {
	known, _ := fuzzKeys(f)
	line := string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(known)))
	for _, seed := range []struct{ content, host string }{
		{"[127.0.0.1]:2222 " + line + "\n", "127.0.0.1:2222"},
		{"github.com " + line + " comment\n", "github.com:22"},
		{"a.example,b.example " + line + "\n# comment\n\n", "b.example:22"},
		{hashedHost("gitlab.com", []byte("0123456789abcdef0123")) + " " + line + "\n", "gitlab.com:22"},
		{"@revoked * " + line + "\ngithub.com " + line + "\n", "github.com:22"},
		{"@cert-authority *.example " + line + "\n", "git.example:22"},
		{"*.example " + line + "\n", "git.example:22"},
		{"!bad.example,*.example " + line + "\n", "bad.example:22"},
		{"[h]:2222 ssh-ed25519 AAAA\n", "h:2222"},
		{"", "h:22"},
	} {
		f.Add([]byte(seed.content), seed.host)
	}
	f.Fuzz(func(t *testing.T, content []byte, host string) {
		known, stranger := fuzzKeys(t)
		cb, err := hostKeyCallback(content)
		if err != nil {
			return
		}
		if bytes.Contains(content, []byte(base64.StdEncoding.EncodeToString(stranger.Marshal())[:40])) {
			return
		}
		if cb(host, nil, stranger) == nil {
			t.Fatalf("a key absent from known_hosts was accepted for %q", host)
		}
		remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
		if cb(host, remote, stranger) == nil {
			t.Fatalf("a key absent from known_hosts was accepted for %q from %v", host, remote)
		}
		if cb(host, nil, known) != nil {
			return
		}
		if revoked(content, known) {
			t.Fatalf("a revoked key was accepted for %q", host)
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		ref, err := knownhosts.New(path)
		if err != nil {
			return // the reference reads lines more strictly; Ferry refusing them is not checked
		}
		if err := ref(host, remote, known); err != nil {
			t.Fatalf("accepted a key for %q that OpenSSH's rules refuse: %v", host, err)
		}
	})
}

// revoked tells whether content marks key @revoked, read entry by entry as ssh does.
func revoked(content []byte, key ssh.PublicKey) bool {
	for rest := content; len(rest) > 0; {
		marker, _, k, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			return false
		}
		if marker == "revoked" && bytes.Equal(k.Marshal(), key.Marshal()) {
			return true
		}
		rest = next
	}
	return false
}
