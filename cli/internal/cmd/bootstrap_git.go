package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/bootstrap"
	"github.com/ferry-gitops/ferry/cli/internal/sshkey"
)

// gitBootstrapFlags are the flags of `bootstrap git`.
type gitBootstrapFlags struct {
	url, username, password string
	bearerToken             bool
}

func newBootstrapGitCommand(a *app, bf *bootstrapFlags) *cobra.Command {
	var f gitBootstrapFlags
	c := &cobra.Command{
		Use:   "git",
		Short: "Deploy Ferry on a cluster connected to a Git repository",
		Long: "The bootstrap git command commits Ferry's manifests to a branch of a Git repository, deploys\n" +
			"Ferry on the cluster and configures it to synchronise with the repository over HTTPS\n" +
			"(--username/--password) or SSH (--private-key-file, the deploy key). Running it again makes\n" +
			"no commit when nothing changed.",
		Example: `  # Run bootstrap for a Git repository over HTTPS with basic authentication
  ferry bootstrap git --url=https://example.com/repository.git --username=my-user --password=my-token \
    --token-auth=true --path=clusters/my-cluster

  # Run bootstrap for a Git repository over SSH with a private key
  ferry bootstrap git --url=ssh://git@example.com/repository.git --private-key-file=<path/to/private.key> \
    --path=clusters/my-cluster`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := a.gitPlan(bf, &f)
			if err != nil {
				return err
			}
			return a.runBootstrap(cmd.Context(), bf, plan)
		},
	}
	c.Flags().StringVar(&f.url, "url", "", "Git repository URL")
	c.Flags().StringVarP(&f.username, "username", "u", "git", "basic authentication username")
	c.Flags().StringVarP(&f.password, "password", "p", "", "basic authentication password")
	c.Flags().BoolVar(&f.bearerToken, "with-bearer-token", false, "use password as bearer token for Authorization header")
	return c
}

// gitPlan reads the URL and credentials of `bootstrap git`.
func (a *app) gitPlan(bf *bootstrapFlags, f *gitBootstrapFlags) (bootstrapPlan, error) {
	u, err := url.Parse(f.url)
	if err != nil || u.Host == "" {
		return bootstrapPlan{}, fmt.Errorf("invalid --url %q: a Git repository URL is required", f.url)
	}
	var ca []byte
	if bf.caFile != "" {
		if ca, err = os.ReadFile(bf.caFile); err != nil {
			return bootstrapPlan{}, fmt.Errorf("failed to read the CA file: %w", err)
		}
	}
	plan := bootstrapPlan{cloneURL: f.url, syncURL: f.url}
	switch u.Scheme {
	case "https", "http":
		if f.password == "" && !bf.tokenAuth {
			return bootstrapPlan{}, errors.New("--password is required for an HTTP(S) URL (a token with --token-auth)")
		}
		plan.pushAuth = bootstrap.Auth{Username: f.username, Password: f.password, CABundle: ca}
		if f.bearerToken {
			plan.pushAuth = bootstrap.Auth{BearerToken: f.password, CABundle: ca}
		}
		plan.secretData = func(context.Context, client.Client) (map[string]string, error) {
			data := map[string]string{"username": f.username, "password": f.password}
			if f.bearerToken {
				data = map[string]string{"bearerToken": f.password}
			}
			if ca != nil {
				data["ca.crt"] = string(ca)
			}
			return data, nil
		}
		return plan, nil
	case "ssh":
		return a.sshPlan(bf, plan, u)
	}
	return bootstrapPlan{}, fmt.Errorf("git URL scheme '%s' not supported, can be: ssh, http and https", u.Scheme)
}

// sshPlan sets the SSH credentials of plan: the CLI pushes with --private-key-file; the
// cluster uses that key, or the deploy key of an existing Secret, or a new one.
func (a *app) sshPlan(bf *bootstrapFlags, plan bootstrapPlan, u *url.URL) (bootstrapPlan, error) {
	if bf.privateKeyFile == "" {
		return bootstrapPlan{}, errors.New("--private-key-file is required for an ssh URL: the CLI pushes with it")
	}
	key, err := os.ReadFile(bf.privateKeyFile)
	if err != nil {
		return bootstrapPlan{}, fmt.Errorf("failed to read the private key file: %w", err)
	}
	pair, err := sshkey.Parse(key, "")
	if err != nil {
		return bootstrapPlan{}, err
	}
	a.actionf("scanning the host key of %s", u.Host)
	known, err := sshkey.ScanHostKey(u.Host, "", 30*time.Second)
	if err != nil {
		return bootstrapPlan{}, err
	}
	plan.pushAuth = bootstrap.Auth{PrivateKey: pair.PrivateKey, KnownHosts: known}
	plan.secretData = func(ctx context.Context, c client.Client) (map[string]string, error) {
		return map[string]string{"identity": string(pair.PrivateKey), "identity.pub": string(pair.PublicKey),
			"known_hosts": string(known)}, nil
	}
	return plan, nil
}

// existingDeployKey returns the key pair of the Secret name, or nil when there is none.
func existingDeployKey(ctx context.Context, c client.Client, namespace, name string) (*sshkey.Pair, []byte, error) {
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("failed to read the secret %s/%s: %w", namespace, name, err)
	}
	if len(s.Data["identity"]) == 0 {
		return nil, nil, nil
	}
	pair, err := sshkey.Parse(s.Data["identity"], "")
	if err != nil {
		return nil, nil, err
	}
	return pair, s.Data["known_hosts"], nil
}
