package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/bootstrap"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/cli/internal/manifests"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// bootstrapFlags are the flags every bootstrap sub-command takes.
type bootstrapFlags struct {
	install                                  installFlags
	branch, path, authorName, authorEmail    string
	commitAppendix, secretName, caFile       string
	privateKeyFile, keyAlgorithm, ecdsaCurve string
	rsaBits                                  int
	tokenAuth, silent                        bool
	interval                                 time.Duration
}

// newBootstrapCommand returns `ferry bootstrap git|github|gitlab|gitea`.
func newBootstrapCommand(a *app) *cobra.Command {
	bf := &bootstrapFlags{}
	c := &cobra.Command{
		Use:   "bootstrap",
		Short: "Deploy Ferry on a cluster the GitOps way",
		Long: "The bootstrap sub-commands push Ferry's manifests to a Git repository and deploy Ferry on\n" +
			"the cluster, which then manages itself from Git. Running one again is idempotent: it commits\n" +
			"only what changed (such as newer components) and applies the same objects.",
	}
	pf := c.PersistentFlags()
	addInstallFlags(pf, &bf.install)
	pf.StringVar(&bf.branch, "branch", "main", "Git branch")
	pf.StringVar(&bf.path, "path", "", "path relative to the repository root, when specified the cluster sync will be scoped to this path")
	pf.StringVar(&bf.authorName, "author-name", "Ferry", "author name for Git commits")
	pf.StringVar(&bf.authorEmail, "author-email", "", "author email for Git commits")
	pf.StringVar(&bf.commitAppendix, "commit-message-appendix", "", "string to add to the commit messages, e.g. '[ci skip]'")
	pf.StringVar(&bf.secretName, "secret-name", "flux-system", "name of the secret the sync credentials can be found in or stored to")
	pf.StringVar(&bf.caFile, "ca-file", "", "path to TLS CA file used for validating self-signed certificates")
	pf.StringVar(&bf.privateKeyFile, "private-key-file", "", "path to a private key file used for authenticating to the Git SSH server")
	pf.StringVar(&bf.keyAlgorithm, "ssh-key-algorithm", "ecdsa", "SSH public key algorithm (rsa, ecdsa, ed25519)")
	pf.StringVar(&bf.ecdsaCurve, "ssh-ecdsa-curve", "p384", "SSH ECDSA public key curve (p256, p384, p521)")
	pf.IntVar(&bf.rsaBits, "ssh-rsa-bits", 2048, "SSH RSA public key bit size (multiplies of 8)")
	pf.BoolVar(&bf.tokenAuth, "token-auth", false, "when enabled, the personal access token will be used instead of the SSH deploy key")
	pf.BoolVarP(&bf.silent, "silent", "s", false, "assumes the deploy key is already setup, skips confirmation")
	pf.DurationVar(&bf.interval, "interval", time.Minute, "sync interval")
	c.AddCommand(newBootstrapGitCommand(a, bf), newBootstrapProviderCommand(a, bf, githubProvider),
		newBootstrapProviderCommand(a, bf, gitlabProvider), newBootstrapProviderCommand(a, bf, giteaProvider))
	return c
}

// bootstrapPlan is what a bootstrap sub-command hands to runBootstrap.
type bootstrapPlan struct {
	// cloneURL is the URL the CLI pushes to, with pushAuth.
	cloneURL string
	pushAuth bootstrap.Auth
	// syncURL is the URL the cluster fetches, with the Secret data secretData returns.
	syncURL    string
	secretData func(ctx context.Context, c client.Client) (map[string]string, error)
}

// runBootstrap commits the manifests, installs the components, applies the credentials
// and the sync objects and waits until the cluster has applied the commit.
func (a *app) runBootstrap(ctx context.Context, bf *bootstrapFlags, plan bootstrapPlan) error {
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	ns := a.flags.namespace
	opts := bf.install.options(ns, a.opts.Version)
	objs, err := manifests.Build(opts)
	if err != nil {
		return err
	}
	components, err := manifests.YAML(objs)
	if err != nil {
		return err
	}
	a.actionf("cloning branch %q from Git repository %q", bf.branch, plan.cloneURL)
	repo, err := bootstrap.Clone(plan.cloneURL, bf.branch, plan.pushAuth)
	if err != nil {
		return err
	}
	a.successf("cloned repository")
	a.actionf("generating component manifests")
	files, err := bootstrap.Files(bootstrap.ManifestsOptions{
		Sync: bootstrap.SyncOptions{Name: bf.secretName, Namespace: ns, URL: plan.syncURL, Branch: bf.branch,
			Path: bf.path, SecretName: bf.secretName, Interval: bf.interval},
		Components: components, ComponentNames: opts.AllComponents(), Version: a.opts.Version,
	})
	if err != nil {
		return err
	}
	a.successf("generated component manifests")
	message := strings.TrimSpace("Add Ferry " + a.opts.Version + " component manifests " + bf.commitAppendix)
	hash, err := repo.Commit(files, bootstrap.Signature{Name: bf.authorName, Email: bf.authorEmail}, message)
	if err != nil {
		return err
	}
	if hash == "" {
		hash = repo.Head()
		a.successf("component manifests are up to date")
	} else {
		a.successf("committed component manifests to %q (%q)", bf.branch, hash)
		a.actionf("pushed component manifests to %q", plan.cloneURL)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if err := a.install(ctx, c, objs); err != nil {
		return err
	}
	if err := a.applySourceSecret(ctx, c, bf, plan); err != nil {
		return err
	}
	return a.applySync(ctx, c, bf, plan.syncURL, hash)
}

// applySourceSecret writes the cluster's Git credentials to the Secret --secret-name.
func (a *app) applySourceSecret(ctx context.Context, c client.Client, bf *bootstrapFlags, plan bootstrapPlan) error {
	ns := a.flags.namespace
	a.actionf("determining if source secret %q exists", ns+"/"+bf.secretName)
	data, err := plan.secretData(ctx, c)
	if err != nil {
		return err
	}
	if data == nil {
		return nil
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: bf.secretName, Namespace: ns}, StringData: data}
	secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	a.actionf("applying source secret %q", ns+"/"+bf.secretName)
	if err := a.applyObject(ctx, c, secret); err != nil {
		return err
	}
	a.successf("reconciled source secret")
	return nil
}

// applySync applies the GitRepository and Kustomization, asks both to reconcile now and
// waits until the Kustomization has applied the commit hash.
func (a *app) applySync(ctx context.Context, c client.Client, bf *bootstrapFlags, syncURL, hash string) error {
	repo, ks := bootstrap.SyncObjects(bootstrap.SyncOptions{Name: bf.secretName, Namespace: a.flags.namespace,
		URL: syncURL, Branch: bf.branch, Path: bf.path, SecretName: bf.secretName, Interval: bf.interval})
	a.actionf("applying sync manifests")
	token := requestToken()
	for _, obj := range []client.Object{repo, ks} {
		obj.SetAnnotations(map[string]string{fluxmeta.ReconcileRequestAnnotation: token})
		if err := a.applyObject(ctx, c, obj); err != nil {
			return err
		}
	}
	a.successf("reconciled sync configuration")
	for _, obj := range []client.Object{repo, ks} {
		k, _ := kinds.ByKind(obj.GetObjectKind().GroupVersionKind().Kind)
		if err := a.waitForRevision(ctx, c, k, client.ObjectKeyFromObject(obj), hash); err != nil {
			return err
		}
	}
	a.actionf("confirming components are healthy")
	a.successf("all components are healthy")
	return nil
}

// waitForRevision polls the object until it is Ready at a revision of commit hash.
func (a *app) waitForRevision(ctx context.Context, c client.Client, k *kinds.Kind, key client.ObjectKey, hash string) error {
	a.waitingf("waiting for %s %q to be reconciled", k, key.Namespace+"/"+key.Name)
	obj := k.New()
	var message string
	err := wait.PollUntilContextCancel(ctx, a.opts.PollInterval, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, obj); err != nil {
			message = err.Error()
			return false, nil
		}
		so := obj.(fluxmeta.StatusObject)
		if st := conditions.Get(so, fluxmeta.StalledCondition); st != nil && st.Status == metav1.ConditionTrue {
			return false, fmt.Errorf("%s/%s not ready: %s", k, key.Name, st.Message)
		}
		rc := conditions.Get(so, fluxmeta.ReadyCondition)
		if rc != nil {
			message = rc.Message
		}
		rev := k.Revision(obj)
		return rc != nil && rc.Status == metav1.ConditionTrue && (hash == "" || strings.HasSuffix(rev, hash)), nil
	})
	if err != nil {
		if wait.Interrupted(err) {
			return fmt.Errorf("%s/%s not ready at commit %s: %s", k, key.Name, hash, message)
		}
		return err
	}
	a.successf("%s reconciled successfully", k)
	return nil
}
