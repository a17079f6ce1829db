package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/bootstrap"
	"github.com/ferry-gitops/ferry/cli/internal/provider"
	"github.com/ferry-gitops/ferry/cli/internal/sshkey"
)

// Providers bootstrap can create repositories on.
const (
	githubProvider = provider.GitHub
	gitlabProvider = provider.GitLab
	giteaProvider  = provider.Gitea
)

// providerFlags are the flags of `bootstrap github|gitlab|gitea`.
type providerFlags struct {
	owner, repository, hostname  string
	personal, private, readWrite bool
}

func newBootstrapProviderCommand(a *app, bf *bootstrapFlags, kind provider.Kind) *cobra.Command {
	var f providerFlags
	c := &cobra.Command{
		Use:   string(kind),
		Short: "Deploy Ferry on a cluster connected to a " + string(kind) + " repository",
		Long: "The bootstrap " + string(kind) + " command creates the " + string(kind) + " repository if it doesn't exist and\n" +
			"commits Ferry's manifests to it. Unless --token-auth is set, it registers a read-only deploy\n" +
			"key (generated, or kept from the cluster's Secret) through the API and the cluster syncs over\n" +
			"SSH. The token is read from $" + kind.TokenEnv() + ".",
		Example: fmt.Sprintf(`  # Create a %[1]s personal repository and sync the cluster with it
  export %[2]s=<my-token>
  ferry bootstrap %[1]s --owner=<my-user> --repository=<repository name> --personal --path=clusters/my-cluster`,
			kind, kind.TokenEnv()),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := a.providerPlan(cmd.Context(), kind, bf, &f)
			if err != nil {
				return err
			}
			return a.runBootstrap(cmd.Context(), bf, plan)
		},
	}
	fs := c.Flags()
	fs.StringVar(&f.owner, "owner", "", "the user or organization that owns the repository")
	fs.StringVar(&f.repository, "repository", "", "the repository name")
	fs.StringVar(&f.hostname, "hostname", kind.DefaultHostname(), "the "+string(kind)+" hostname")
	fs.BoolVar(&f.personal, "personal", false, "if true, the owner is assumed to be a user and not an organization")
	fs.BoolVar(&f.private, "private", true, "if true, the repository is set up or made private")
	fs.BoolVar(&f.readWrite, "read-write-key", false, "if true, the deploy key is configured with read/write permissions")
	return c
}

// providerPlan ensures the repository through the provider's API and returns how to push
// to it and how the cluster reaches it.
func (a *app) providerPlan(ctx context.Context, kind provider.Kind, bf *bootstrapFlags, f *providerFlags) (bootstrapPlan, error) {
	if f.owner == "" || f.repository == "" {
		return bootstrapPlan{}, errors.New("--owner and --repository are required")
	}
	token := os.Getenv(kind.TokenEnv())
	var ca []byte
	if bf.caFile != "" {
		var err error
		if ca, err = os.ReadFile(bf.caFile); err != nil {
			return bootstrapPlan{}, fmt.Errorf("failed to read the CA file: %w", err)
		}
	}
	p, err := provider.New(kind, provider.Options{Hostname: f.hostname, Token: token, CABundle: ca})
	if err != nil {
		return bootstrapPlan{}, err
	}
	a.actionf("connecting to %s", f.hostname)
	repo, err := p.EnsureRepository(ctx, f.owner, f.repository, provider.RepositoryOptions{
		Personal: f.personal, Private: f.private, DefaultBranch: bf.branch, Description: "Ferry's GitOps repository"})
	if err != nil {
		return bootstrapPlan{}, err
	}
	if repo.Created {
		a.successf("repository %q created", repo.CloneURL)
	} else {
		a.successf("repository %q exists", repo.CloneURL)
	}
	plan := bootstrapPlan{cloneURL: repo.CloneURL, pushAuth: bootstrap.Auth{Username: "git", Password: token, CABundle: ca}}
	if bf.tokenAuth {
		plan.syncURL = repo.CloneURL
		plan.secretData = func(context.Context, client.Client) (map[string]string, error) {
			data := map[string]string{"username": "git", "password": token}
			if ca != nil {
				data["ca.crt"] = string(ca)
			}
			return data, nil
		}
		return plan, nil
	}
	plan.syncURL = repo.SSHURL
	plan.secretData = func(ctx context.Context, c client.Client) (map[string]string, error) {
		return a.deployKey(ctx, c, p, bf, f, repo.SSHURL)
	}
	return plan, nil
}

// deployKey keeps the deploy key of the cluster's Secret or generates one, registers it on
// the repository and returns the Secret's data.
func (a *app) deployKey(ctx context.Context, c client.Client, p provider.Provider, bf *bootstrapFlags, f *providerFlags, sshURL string) (map[string]string, error) {
	u, err := url.Parse(sshURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the provider gave an invalid SSH URL %q", sshURL)
	}
	pair, _, err := existingDeployKey(ctx, c, a.flags.namespace, bf.secretName)
	if err != nil {
		return nil, err
	}
	if pair == nil {
		a.actionf("generating source secret")
		if pair, err = sshkey.Generate(bf.keyAlgorithm, bf.rsaBits, bf.ecdsaCurve); err != nil {
			return nil, err
		}
	}
	known, err := sshkey.ScanHostKey(u.Host, "", 30*time.Second)
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s-%s-%s-./%s", bf.secretName, bf.branch, a.flags.namespace, strings.TrimLeft(path.Clean("/"+bf.path), "/"))
	changed, err := p.EnsureDeployKey(ctx, f.owner, f.repository, provider.DeployKey{Title: title, Key: string(pair.PublicKey), ReadOnly: !f.readWrite})
	if err != nil {
		return nil, err
	}
	if changed {
		a.successf("configured deploy key %q for %q", title, sshURL)
	}
	return map[string]string{"identity": string(pair.PrivateKey), "identity.pub": string(pair.PublicKey), "known_hosts": string(known)}, nil
}
