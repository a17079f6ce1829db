package checkout

import (
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

func TestCheckoutSSH(t *testing.T) {
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "repo", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeSSH(t)
	other := repos.ServeSSH(t) // another host key
	tests := []struct {
		name string
		auth *git.Auth
		want string
	}{
		{name: "known host", auth: &git.Auth{Identity: srv.Identity, KnownHosts: srv.KnownHosts}},
		{name: "unknown host key", auth: &git.Auth{Identity: srv.Identity, KnownHosts: other.KnownHosts}, want: "not in known_hosts"},
		{name: "key not accepted", auth: &git.Auth{Identity: other.Identity, KnownHosts: srv.KnownHosts}, want: "unable to authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Clone(testContext(t), srv.RepoURL("repo"), tt.auth, nil, t.TempDir(), Options{})
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
