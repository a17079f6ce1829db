package bootstrap_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/provider"
	"github.com/ferry-gitops/ferry/cli/internal/provider/providertest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// TestBootstrapProviders runs bootstrap github|gitlab|gitea against a local server of the
// provider's API and the real Git servers its repository URLs point at: the repository is
// created through the API, the manifests are pushed over HTTPS with the token, and the
// cluster gets a deploy key registered read-only through the API (or, with --token-auth,
// the token). A second run keeps the key and makes no commit.
func TestBootstrapProviders(t *testing.T) {
	for _, tc := range []struct {
		kind      provider.Kind
		owner     string
		extra     []string
		tokenAuth bool
	}{
		{kind: provider.GitHub, owner: "ferry-user", extra: []string{"--personal"}},
		{kind: provider.GitLab, owner: "ferry-org", extra: []string{"--token-auth"}, tokenAuth: true},
		{kind: provider.Gitea, owner: "ferry-org"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			g := NewWithT(t)
			ns := "ferry-" + string(tc.kind)
			repos := gitserver.NewRepos(t)
			bare := emptyRepo(t, repos, "fleet")
			https := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: "git", Password: "t0ken"})
			ssh := repos.ServeSSH(t)
			api := providertest.Start(t, tc.kind, "t0ken", func(owner, name string) (string, string) {
				return https.RepoURL(name), ssh.RepoURL(name)
			})
			caFile := filepath.Join(t.TempDir(), "ca.crt")
			g.Expect(os.WriteFile(caFile, append(append([]byte(nil), https.CA...), api.CA...), 0o600)).To(Succeed())
			t.Setenv(tc.kind.TokenEnv(), "t0ken")
			syncController(t, ns, bare, "main")

			args := append([]string{"-n", ns, "bootstrap", string(tc.kind), "--owner", tc.owner, "--repository", "fleet",
				"--hostname", api.Host, "--ca-file", caFile, "--path", "clusters/my-cluster", "--silent", "--timeout", "90s"}, tc.extra...)
			res := ferry(t, args...)
			g.Expect(res.RunErr).NotTo(HaveOccurred())
			g.Expect(res.Err).To(ContainSubstring(`✔ repository "` + https.RepoURL("fleet") + `" created`))
			g.Expect(api.Repo(tc.owner, "fleet")).NotTo(BeNil())
			g.Expect(revParse(bare, "main")).NotTo(BeEmpty(), "the manifests were pushed")

			var secret corev1.Secret
			g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "flux-system"}, &secret)).To(Succeed())
			keys := api.Repo(tc.owner, "fleet").Keys
			if tc.tokenAuth {
				g.Expect(string(secret.Data["password"])).To(Equal("t0ken"))
				g.Expect(keys).To(BeEmpty())
			} else {
				g.Expect(keys).To(HaveLen(1))
				g.Expect(keys[0].ReadOnly).To(BeTrue())
				g.Expect(keys[0].Title).To(Equal("flux-system-main-" + ns + "-./clusters/my-cluster"))
				g.Expect(keys[0].Key).To(Equal(strings.TrimSpace(string(secret.Data["identity.pub"]))))
				g.Expect(string(secret.Data["known_hosts"])).To(Equal(string(ssh.KnownHosts)))
				g.Expect(res.Err).To(ContainSubstring(`✔ configured deploy key "flux-system-main-` + ns + `-./clusters/my-cluster"`))
			}

			res = ferry(t, args...)
			g.Expect(res.RunErr).NotTo(HaveOccurred())
			g.Expect(res.Err).To(ContainSubstring(`" exists`))
			g.Expect(res.Err).To(ContainSubstring("✔ component manifests are up to date"))
			g.Expect(res.Err).NotTo(ContainSubstring("configured deploy key"), "the deploy key is kept")
			g.Expect(api.Repo(tc.owner, "fleet").Keys).To(Equal(keys))
			g.Expect(api.Errors()).To(BeEmpty())
		})
	}
}
