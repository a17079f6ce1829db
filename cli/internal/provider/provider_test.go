package provider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/cli/internal/provider"
	"github.com/ferry-gitops/ferry/cli/internal/provider/providertest"
	"github.com/ferry-gitops/ferry/cli/internal/sshkey"
)

// urls are the clone URLs the test servers hand out.
func urls(owner, name string) (string, string) {
	return "https://git.example.com/" + owner + "/" + name + ".git", "ssh://git@git.example.com/" + owner + "/" + name + ".git"
}

func newKey(t *testing.T) string {
	t.Helper()
	pair, err := sshkey.Generate("ecdsa", 0, "p256")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pair.PublicKey))
}

// TestProviders drives each provider's official client against a server that checks the
// requests as the service does: a repository is created once (for the user or the
// organization), then found; a deploy key is added once, kept, then replaced.
func TestProviders(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []provider.Kind{provider.GitHub, provider.GitLab, provider.Gitea} {
		t.Run(string(kind), func(t *testing.T) {
			srv := providertest.Start(t, kind, "t0ken", urls)
			p, err := provider.New(kind, provider.Options{Hostname: srv.Host, Token: "t0ken", CABundle: srv.CA})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				owner    string
				personal bool
			}{{"ferry-user", true}, {"ferry-org", false}} {
				repo, err := p.EnsureRepository(ctx, tc.owner, "fleet", provider.RepositoryOptions{Personal: tc.personal, Private: true, DefaultBranch: "main"})
				if err != nil {
					t.Fatalf("create %s/fleet: %v", tc.owner, err)
				}
				wantClone, wantSSH := urls(tc.owner, "fleet")
				if !repo.Created || repo.CloneURL != wantClone || repo.SSHURL != wantSSH {
					t.Errorf("create %s/fleet = %+v", tc.owner, repo)
				}
				if r := srv.Repo(tc.owner, "fleet"); r == nil || !r.Private {
					t.Errorf("the server has %+v for %s/fleet", r, tc.owner)
				}
				again, err := p.EnsureRepository(ctx, tc.owner, "fleet", provider.RepositoryOptions{Personal: tc.personal})
				if err != nil || again.Created || again.CloneURL != wantClone {
					t.Errorf("second ensure = %+v, %v", again, err)
				}
			}

			key := provider.DeployKey{Title: "ferry-flux-system-main", Key: newKey(t), ReadOnly: true}
			for i, want := range []bool{true, false} {
				changed, err := p.EnsureDeployKey(ctx, "ferry-org", "fleet", key)
				if err != nil || changed != want {
					t.Errorf("ensure key #%d = %v, %v; want changed %v", i, changed, err, want)
				}
			}
			key.Key = newKey(t)
			if changed, err := p.EnsureDeployKey(ctx, "ferry-org", "fleet", key); err != nil || !changed {
				t.Errorf("replace key = %v, %v", changed, err)
			}
			keys := srv.Repo("ferry-org", "fleet").Keys
			if len(keys) != 1 || keys[0].Key != key.Key || !keys[0].ReadOnly || keys[0].Title != key.Title {
				t.Errorf("deploy keys = %+v", keys)
			}
			if errs := srv.Errors(); len(errs) > 0 {
				t.Errorf("the server refused requests: %v", errs)
			}

			bad, err := provider.New(kind, provider.Options{Hostname: srv.Host, Token: "wrong", CABundle: srv.CA})
			if err == nil {
				_, err = bad.EnsureRepository(ctx, "ferry-org", "fleet", provider.RepositoryOptions{})
			}
			if err == nil {
				t.Error("a wrong token was accepted")
			}
		})
	}
}
