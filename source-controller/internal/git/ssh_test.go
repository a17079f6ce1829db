package git

import (
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

func TestCheckoutSSH(t *testing.T) {
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "repo", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeSSH(t)
	other := repos.ServeSSH(t) // another host key
	tests := []struct {
		name string
		auth *Auth
		want string
	}{
		{name: "known host", auth: &Auth{Identity: srv.Identity, KnownHosts: srv.KnownHosts}},
		{name: "unknown host key", auth: &Auth{Identity: srv.Identity, KnownHosts: other.KnownHosts}, want: "not in known_hosts"},
		{name: "key not accepted", auth: &Auth{Identity: other.Identity, KnownHosts: srv.KnownHosts}, want: "unable to authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Checkout(testContext(t), srv.RepoURL("repo"), tt.auth, nil, t.TempDir(), CheckoutOptions{})
			if tt.want == "" {
				if err != nil || got.Hash != hash || got.ShortMessage() != "initial commit" {
					t.Fatalf("Checkout = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestShortMessage(t *testing.T) {
	long := strings.Repeat("x", 60)
	tests := []struct{ msg, want string }{
		{"fix: a bug\n\nbody", "fix: a bug"},
		{"  one line  ", "one line"},
		{long, strings.Repeat("x", 50) + "..."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := (Commit{Message: tt.msg}).ShortMessage(); got != tt.want {
			t.Errorf("ShortMessage(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
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
