package git

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

func TestAuthFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		url     string
		wantErr string
		check   func(t *testing.T, a *Auth, m any)
	}{
		{name: "empty is anonymous", data: nil, url: "https://h/r.git", check: func(t *testing.T, _ *Auth, m any) {
			if m != nil {
				t.Errorf("want no auth method, got %T", m)
			}
		}},
		{name: "basic", data: map[string][]byte{"username": []byte("u"), "password": []byte("p"), "ca.crt": []byte("CA")}, url: "https://h/r.git",
			check: func(t *testing.T, a *Auth, m any) {
				b, ok := m.(*http.BasicAuth)
				if !ok || b.Username != "u" || b.Password != "p" || string(a.CAData) != "CA" {
					t.Errorf("got %T %+v", m, a)
				}
			}},
		{name: "bearer", data: map[string][]byte{"bearerToken": []byte("tok")}, url: "https://h/r.git",
			check: func(t *testing.T, _ *Auth, m any) {
				if b, ok := m.(*http.TokenAuth); !ok || b.Token != "tok" {
					t.Errorf("got %T", m)
				}
			}},
		{name: "bearer and username", data: map[string][]byte{"bearerToken": []byte("tok"), "username": []byte("u")}, wantErr: "mutually exclusive"},
		{name: "cert without key", data: map[string][]byte{"tls.crt": []byte("c")}, wantErr: "tls.crt and tls.key"},
		{name: "ssh without known_hosts", data: map[string][]byte{"identity": []byte("k")}, url: "ssh://git@h/r.git", wantErr: "known_hosts is required"},
		{name: "scp-style ssh without known_hosts", data: nil, url: "git@h:r.git", wantErr: "known_hosts is required"},
		{name: "ssh with a bad identity", data: map[string][]byte{"identity": []byte("not a key"), "known_hosts": knownHostsLine(t, "h")}, url: "ssh://git@h/r.git", wantErr: "failed to parse ssh identity"},
		{name: "ssh", data: map[string][]byte{"identity": identity(t), "known_hosts": knownHostsLine(t, "h")}, url: "ssh://git@h/r.git",
			check: func(t *testing.T, _ *Auth, m any) {
				if k, ok := m.(*gitssh.PublicKeys); !ok || k.User != "git" || k.HostKeyCallback == nil {
					t.Errorf("got %T", m)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := AuthFromSecret(tt.data)
			var m any
			if err == nil {
				m, err = a.Method(tt.url)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a, m)
		})
	}
}

func TestHostKeyCallback(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := ssh.MarshalAuthorizedKey(key)
	cb, err := hostKeyCallback([]byte("[127.0.0.1]:2222 " + string(line)))
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewPublicKey(other)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	tests := []struct {
		name string
		host string
		key  ssh.PublicKey
		ok   bool
	}{
		{name: "known host and key", host: "127.0.0.1:2222", key: key, ok: true},
		{name: "other key", host: "127.0.0.1:2222", key: otherKey},
		{name: "other port", host: "127.0.0.1:22", key: key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := addr
			if tt.host == "127.0.0.1:22" {
				a = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}
			}
			err := cb(tt.host, a, tt.key)
			if (err == nil) != tt.ok {
				t.Errorf("callback error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestHostKeyCallbackOpenSSHForms: a hashed host name (ssh-keygen -H) verifies its host; a
// key marked @revoked is refused even where another line lists it; a @cert-authority line
// is no host key.
func TestHostKeyCallbackOpenSSHForms(t *testing.T) {
	known, _ := fuzzKeys(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(known)))
	tests := []struct {
		name, content, host string
		ok                  bool
	}{
		{"hashed", hashedHost("gitlab.com", []byte("salt-salt-salt-salt!")) + " " + line, "gitlab.com:22", true},
		{"hashed other port", hashedHost("[h.example]:2222", []byte("salt-salt-salt-salt!")) + " " + line, "h.example:2222", true},
		{"hashed other host", hashedHost("gitlab.com", []byte("salt-salt-salt-salt!")) + " " + line, "github.com:22", false},
		{"revoked", "github.com " + line + "\n@revoked * " + line, "github.com:22", false},
		{"cert-authority", "@cert-authority github.com " + line + "\ngithub.com ssh-ed25519 " + strings.Fields(line)[1][:20] + "x", "github.com:22", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, err := hostKeyCallback([]byte(tt.content + "\n"))
			if err != nil {
				if tt.ok {
					t.Fatal(err)
				}
				return
			}
			if err := cb(tt.host, nil, known); (err == nil) != tt.ok {
				t.Fatalf("callback = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func identity(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

func knownHostsLine(t *testing.T, host string) []byte {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(host + " " + string(ssh.MarshalAuthorizedKey(key)))
}

func TestSetProxyFromSecret(t *testing.T) {
	tests := []struct {
		name string
		data map[string][]byte
		want string
	}{
		{name: "address and credentials", data: map[string][]byte{"address": []byte("http://127.0.0.1:3128"), "username": []byte("u"), "password": []byte("p")}},
		{name: "no address", data: map[string][]byte{"username": []byte("u")}, want: "has no 'address'"},
		{name: "bad address", data: map[string][]byte{"address": []byte("http://[::1")}, want: "invalid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Auth{}
			err := a.SetProxyFromSecret(tt.data)
			if tt.want == "" {
				if err != nil || a.Proxy.URL != string(tt.data["address"]) || a.Proxy.Username != "u" {
					t.Fatalf("proxy = %+v, %v", a.Proxy, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
