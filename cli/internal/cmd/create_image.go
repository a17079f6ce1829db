package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// newCreateImageCommand returns `ferry create image repository|policy|update|automation`.
func newCreateImageCommand(a *app, cf *createFlags) *cobra.Command {
	c := &cobra.Command{Use: "image", Short: "Create or update resources dealing with image automation"}
	c.AddCommand(newCreateImageRepositoryCommand(a, cf), newCreateImagePolicyCommand(a, cf),
		newCreateImageUpdateCommand(a, cf), newCreateImageAutomationCommand(a, cf))
	return c
}

func newCreateImageRepositoryCommand(a *app, cf *createFlags) *cobra.Command {
	var image, secretRef, certSecretRef, provider string
	c := &cobra.Command{
		Use:   "repository [name]",
		Short: "Create or update an ImageRepository object",
		Example: `  # Watch for new images in a registry
  ferry create image repository my-app \
    --image=myregistry/my-app \
    --interval=1m`,
		RunE: a.createRunE(cf, "ImageRepository", "ImageRepository", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if image == "" {
				return nil, errors.New("an image repository (--image) is required")
			}
			obj := &imagev1.ImageRepository{ObjectMeta: meta}
			obj.Spec.Image, obj.Spec.Interval.Duration, obj.Spec.Provider = image, cf.interval, provider
			obj.Spec.SecretRef, obj.Spec.CertSecretRef = localRef(secretRef), localRef(certSecretRef)
			return []client.Object{obj}, nil
		}),
	}
	c.Flags().StringVar(&image, "image", "", "the image repository to scan; e.g., library/alpine")
	c.Flags().StringVar(&secretRef, "secret-ref", "", "the name of a docker-registry secret to use for credentials")
	c.Flags().StringVar(&certSecretRef, "cert-ref", "", "the name of a secret to use for TLS certificates")
	c.Flags().StringVar(&provider, "provider", "", "the cloud provider of the registry, one of: generic, aws, azure, gcp")
	return c
}

func newCreateImagePolicyCommand(a *app, cf *createFlags) *cobra.Command {
	var imageRef, semver, alpha, numeric, filterRegex, filterExtract string
	c := &cobra.Command{
		Use:   "policy [name]",
		Short: "Create or update an ImagePolicy object",
		Example: `  # Select the latest 1.x release of an image
  ferry create image policy podinfo \
    --image-ref=podinfo \
    --select-semver=">=1.0.0"`,
		RunE: a.createRunE(cf, "ImagePolicy", "ImagePolicy", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if imageRef == "" {
				return nil, errors.New("the name of an ImageRepository in the namespace is required (--image-ref)")
			}
			obj := &imagev1.ImagePolicy{ObjectMeta: meta}
			obj.Spec.ImageRepositoryRef = fluxmeta.NamespacedObjectReference{Name: imageRef}
			switch {
			case semver != "":
				obj.Spec.Policy.SemVer = &imagev1.SemVerPolicy{Range: semver}
			case alpha != "":
				obj.Spec.Policy.Alphabetical = &imagev1.AlphabeticalPolicy{Order: alpha}
			case numeric != "":
				obj.Spec.Policy.Numerical = &imagev1.NumericalPolicy{Order: numeric}
			default:
				return nil, errors.New("a policy must be provided with either --select-semver, --select-alpha or --select-numeric")
			}
			if filterRegex != "" {
				obj.Spec.FilterTags = &imagev1.TagFilter{Pattern: filterRegex, Extract: filterExtract}
			} else if filterExtract != "" {
				return nil, errors.New("cannot specify --filter-extract without specifying --filter-regex")
			}
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&imageRef, "image-ref", "", "the name of an image repository object")
	fs.StringVar(&semver, "select-semver", "", "a semver range to apply to tags; e.g., '1.x'")
	fs.StringVar(&alpha, "select-alpha", "", "use alphabetical sorting to select image; either \"asc\" meaning select the last, or \"desc\" meaning select the first")
	fs.StringVar(&numeric, "select-numeric", "", "use numeric sorting to select image; either \"asc\" meaning select the last, or \"desc\" meaning select the first")
	fs.StringVar(&filterRegex, "filter-regex", "", "regular expression pattern used to filter the image tags")
	fs.StringVar(&filterExtract, "filter-extract", "", "replacement pattern (using capture groups from --filter-regex) to use for sorting")
	return c
}

// imageUpdateFlags are the flags of `create image update` and of the automation alias.
type imageUpdateFlags struct {
	gitRepoRef, gitRepoNamespace, gitRepoPath, checkoutBranch, pushBranch string
	authorName, authorEmail, commitTemplate                               string
}

// add registers the flags of f, with the defaults of the command.
func (f *imageUpdateFlags) add(c *cobra.Command, defRepo, defName, defEmail string) {
	fs := c.Flags()
	fs.StringVar(&f.gitRepoRef, "git-repo-ref", defRepo, "the name of a GitRepository resource with details of the upstream Git repository")
	fs.StringVar(&f.gitRepoNamespace, "git-repo-namespace", "", "the namespace of the GitRepository resource, defaults to the ImageUpdateAutomation namespace")
	fs.StringVar(&f.checkoutBranch, "checkout-branch", "", "the branch to checkout")
	fs.StringVar(&f.pushBranch, "push-branch", "", "the branch to push commits to, defaults to the checkout branch if not specified")
	fs.StringVar(&f.authorName, "author-name", defName, "the name to use for commit author")
	fs.StringVar(&f.authorEmail, "author-email", defEmail, "the email to use for commit author")
	fs.StringVar(&f.commitTemplate, "commit-template", "", "a template for commit messages")
}

// automation builds the ImageUpdateAutomation of f.
func automation(cf *createFlags, f *imageUpdateFlags, meta metav1.ObjectMeta) (*imagev1.ImageUpdateAutomation, error) {
	if f.gitRepoRef == "" {
		return nil, errors.New("a reference to a GitRepository is required (--git-repo-ref)")
	}
	if f.authorEmail == "" {
		return nil, errors.New("the author email is required (--author-email)")
	}
	obj := &imagev1.ImageUpdateAutomation{ObjectMeta: meta}
	obj.Spec.Interval.Duration = cf.interval
	obj.Spec.SourceRef = imagev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: f.gitRepoRef, Namespace: f.gitRepoNamespace}
	obj.Spec.Update = &imagev1.UpdateStrategy{Strategy: imagev1.UpdateStrategySetters, Path: f.gitRepoPath}
	git := &imagev1.GitSpec{Commit: imagev1.CommitSpec{
		Author: imagev1.CommitUser{Name: f.authorName, Email: f.authorEmail}, MessageTemplate: f.commitTemplate}}
	if f.checkoutBranch != "" {
		git.Checkout = &imagev1.GitCheckoutSpec{Reference: imagev1.GitRepositoryRef{Branch: f.checkoutBranch}}
	}
	if f.pushBranch != "" {
		git.Push = &imagev1.PushSpec{Branch: f.pushBranch}
	}
	obj.Spec.GitSpec = git
	return obj, nil
}

func newCreateImageUpdateCommand(a *app, cf *createFlags) *cobra.Command {
	var f imageUpdateFlags
	c := &cobra.Command{
		Use:   "update [name]",
		Short: "Create or update an ImageUpdateAutomation object",
		Example: `  # Configure image updates for the main repository created by bootstrap
  ferry create image update latest-images \
    --git-repo-ref=flux-system \
    --git-repo-path="./clusters/my-cluster" \
    --checkout-branch=main \
    --author-name=flux \
    --author-email=flux@example.com`,
		RunE: a.createRunE(cf, "ImageUpdateAutomation", "ImageUpdateAutomation", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			obj, err := automation(cf, &f, meta)
			if err != nil {
				return nil, err
			}
			return []client.Object{obj}, nil
		}),
	}
	f.add(c, "", "", "")
	c.Flags().StringVar(&f.gitRepoPath, "git-repo-path", "", "path to the directory containing the manifests to be updated, defaults to the repository root")
	return c
}

// Defaults of Ferry's `create image automation` alias.
const (
	// DefaultAutomationSource is the GitRepository bootstrap creates.
	DefaultAutomationSource = "flux-system"
	// DefaultAutomationAuthor and DefaultAutomationEmail sign the automation's commits.
	DefaultAutomationAuthor = "ferrybot"
	DefaultAutomationEmail  = "ferrybot@users.noreply.localhost"
)

// newCreateImageAutomationCommand returns Ferry's alias `create image automation`, the
// command seed documents type: an ImageUpdateAutomation on the flux-system GitRepository
// that updates the image markers under --update-path.
func newCreateImageAutomationCommand(a *app, cf *createFlags) *cobra.Command {
	var f imageUpdateFlags
	var imageRef string
	c := &cobra.Command{
		Use:   "automation [name]",
		Short: "Create or update an ImageUpdateAutomation on the bootstrap repository (Ferry's alias of 'image update')",
		Long: "The automation command is Ferry's alias of 'create image update' with the defaults of a\n" +
			"bootstrapped cluster: it commits to the flux-system GitRepository, updating the image\n" +
			"policy markers of the files under --update-path. --image-ref names the ImageRepository whose\n" +
			"updates the automation is for; when applying, the command checks that it exists.",
		Example: `  # Automate Git updates when a new image is available
  ferry create image automation my-app \
    --image-ref=ImageRepository/my-app \
    --update-path="./deploy" \
    --interval=5m`,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := nameArg(args, "ImageUpdateAutomation")
			if err != nil {
				return err
			}
			kind, repo, repoNS, err := parseRef(imageRef, imagev1.ImageRepositoryKind)
			if err != nil || kind != imagev1.ImageRepositoryKind {
				return fmt.Errorf("--image-ref must name an ImageRepository as ImageRepository/<name>, got %q", imageRef)
			}
			meta, err := a.objectMeta(cf, name)
			if err != nil {
				return err
			}
			obj, err := automation(cf, &f, meta)
			if err != nil {
				return err
			}
			if !cf.export {
				if err := a.requireImageRepository(cmd, repo, repoNS); err != nil {
					return err
				}
			}
			return a.finishCreate(cmd.Context(), cf, created{what: "ImageUpdateAutomation", objs: []client.Object{obj}})
		},
	}
	f.add(c, DefaultAutomationSource, DefaultAutomationAuthor, DefaultAutomationEmail)
	c.Flags().StringVar(&imageRef, "image-ref", "", "the ImageRepository the automation updates images of, as ImageRepository/<name>")
	c.Flags().StringVar(&f.gitRepoPath, "update-path", "./", "path to the directory containing the manifests to be updated")
	return c
}

// requireImageRepository fails unless the ImageRepository name exists.
func (a *app) requireImageRepository(cmd *cobra.Command, name, namespace string) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if namespace == "" {
		namespace = a.flags.namespace
	}
	var repo imagev1.ImageRepository
	if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: namespace, Name: name}, &repo); err != nil {
		return fmt.Errorf("ImageRepository/%s/%s not found, create it first with 'ferry create image repository': %w", namespace, name, err)
	}
	return nil
}
