package cmd

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// newCreateSourceCommand returns `ferry create source git|helm|oci|bucket|chart`.
func newCreateSourceCommand(a *app, cf *createFlags) *cobra.Command {
	c := &cobra.Command{Use: "source", Short: "Create or update sources"}
	c.AddCommand(newCreateSourceGitCommand(a, cf), newCreateSourceHelmCommand(a, cf), newCreateSourceOCICommand(a, cf),
		newCreateSourceBucketCommand(a, cf), newCreateSourceChartCommand(a, cf))
	return c
}

// gitSourceFlags are the flags of `create source git`.
type gitSourceFlags struct {
	url, branch, tag, semver, commit, refName, secretRef, provider, ignorePaths string
	recurseSubmodules                                                           bool
	sparseCheckout                                                              []string
	// credentials, when given without --export, go into a Secret named after the source.
	credentials gitSecretFlags
}

func newCreateSourceGitCommand(a *app, cf *createFlags) *cobra.Command {
	var f gitSourceFlags
	c := &cobra.Command{
		Use:   "git [name]",
		Short: "Create or update a GitRepository source",
		Example: `  # Create a source for a public Git repository master branch
  ferry create source git podinfo \
    --url=https://github.com/stefanprodan/podinfo \
    --branch=master`,
		RunE: a.createRunE(cf, "GitRepository source", "GitRepository source", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			obj, err := gitRepository(cf, &f, meta)
			if err != nil {
				return nil, err
			}
			objs := []client.Object{obj}
			if secret, err := a.sourceSecret(cf, &f, meta); err != nil {
				return nil, err
			} else if secret != nil {
				obj.Spec.SecretRef = localRef(meta.Name)
				objs = append([]client.Object{secret}, objs...)
			}
			return objs, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.url, "url", "", "git address, e.g. ssh://git@host/org/repository")
	fs.StringVar(&f.branch, "branch", "", "git branch")
	fs.StringVar(&f.tag, "tag", "", "git tag")
	fs.StringVar(&f.semver, "tag-semver", "", "git tag semver range")
	fs.StringVar(&f.commit, "commit", "", "git commit")
	fs.StringVar(&f.refName, "ref-name", "", "git reference name")
	fs.StringVar(&f.secretRef, "secret-ref", "", "the name of an existing secret containing SSH or basic credentials")
	fs.StringVar(&f.provider, "provider", "", "the Git provider, one of: generic, azure, github")
	fs.StringVar(&f.ignorePaths, "ignore-paths", "", "set paths to ignore in the repository (can specify multiple paths with commas)")
	fs.BoolVar(&f.recurseSubmodules, "recurse-submodules", false, "when enabled, configures the GitRepository source to initialize and include Git submodules")
	fs.StringSliceVar(&f.sparseCheckout, "sparse-checkout-paths", nil, "set paths to sparse checkout in the repository")
	addGitSecretFlags(c, &f.credentials)
	return c
}

// sourceSecret returns the credentials Secret of `create source git` when credentials are
// given and the source is applied (as flux, --export prints the source alone), or nil.
func (a *app) sourceSecret(cf *createFlags, f *gitSourceFlags, meta metav1.ObjectMeta) (client.Object, error) {
	cr := f.credentials
	if cf.export || f.secretRef != "" {
		return nil, nil
	}
	ssh := strings.HasPrefix(f.url, "ssh://")
	if !ssh && cr.password == "" && cr.bearerToken == "" && cr.caFile == "" {
		return nil, nil
	}
	cr.url = f.url
	data, err := gitSecretData(&cr)
	if err != nil {
		return nil, err
	}
	if pub, ok := data["identity.pub"]; ok {
		a.actionf("deploy key: %s", strings.TrimSpace(pub))
	}
	return secretObjects(meta, "", data)[0], nil
}

// gitRepository builds the GitRepository of f.
func gitRepository(cf *createFlags, f *gitSourceFlags, meta metav1.ObjectMeta) (*sourcev1.GitRepository, error) {
	if f.url == "" {
		return nil, errors.New("url is required")
	}
	if f.branch == "" && f.tag == "" && f.semver == "" && f.commit == "" && f.refName == "" {
		return nil, errors.New("a Git ref is required, use one of the following: --branch, --tag, --commit, --ref-name or --tag-semver")
	}
	obj := &sourcev1.GitRepository{ObjectMeta: meta}
	obj.Spec.URL = f.url
	obj.Spec.Interval.Duration = cf.interval
	obj.Spec.Reference = &sourcev1.GitRepositoryRef{Branch: f.branch, Tag: f.tag, SemVer: f.semver, Commit: f.commit, Name: f.refName}
	obj.Spec.SecretRef = localRef(f.secretRef)
	obj.Spec.Provider = f.provider
	obj.Spec.RecurseSubmodules = f.recurseSubmodules
	obj.Spec.SparseCheckout = f.sparseCheckout
	obj.Spec.Ignore = ignorePaths(f.ignorePaths)
	return obj, nil
}

// helmSourceFlags are the flags of `create source helm`.
type helmSourceFlags struct {
	url, secretRef, certSecretRef, ociProvider string
	passCredentials                            bool
}

func newCreateSourceHelmCommand(a *app, cf *createFlags) *cobra.Command {
	var f helmSourceFlags
	c := &cobra.Command{
		Use:   "helm [name]",
		Short: "Create or update a HelmRepository source",
		Example: `  # Create a source for an HTTPS public Helm repository
  ferry create source helm podinfo \
    --url=https://stefanprodan.github.io/podinfo \
    --interval=10m`,
		RunE: a.createRunE(cf, "HelmRepository source", "HelmRepository source", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if f.url == "" {
				return nil, errors.New("url is required")
			}
			obj := &sourcev1.HelmRepository{ObjectMeta: meta}
			obj.Spec.URL, obj.Spec.Interval.Duration = f.url, cf.interval
			obj.Spec.SecretRef, obj.Spec.CertSecretRef = localRef(f.secretRef), localRef(f.certSecretRef)
			obj.Spec.PassCredentials = f.passCredentials
			if strings.HasPrefix(f.url, "oci://") {
				obj.Spec.Type, obj.Spec.Provider = "oci", f.ociProvider
			}
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.url, "url", "", "Helm repository address")
	fs.StringVar(&f.secretRef, "secret-ref", "", "the name of an existing secret containing TLS certs or basic credentials")
	fs.StringVar(&f.certSecretRef, "cert-secret-ref", "", "the name of an existing secret containing TLS certs")
	fs.StringVar(&f.ociProvider, "oci-provider", "generic", "OCI provider for authentication")
	fs.BoolVar(&f.passCredentials, "pass-credentials", false, "pass credentials to all domains")
	return c
}

// ociSourceFlags are the flags of `create source oci`.
type ociSourceFlags struct {
	url, tag, semver, digest, secretRef, certRef, provider, ignorePaths, serviceAccount string
	insecure                                                                            bool
}

func newCreateSourceOCICommand(a *app, cf *createFlags) *cobra.Command {
	var f ociSourceFlags
	c := &cobra.Command{
		Use:   "oci [name]",
		Short: "Create or update an OCIRepository",
		Example: `  # Create an OCIRepository for a public container image
  ferry create source oci podinfo \
    --url=oci://ghcr.io/stefanprodan/manifests/podinfo \
    --tag=6.6.2 \
    --interval=10m`,
		RunE: a.createRunE(cf, "OCIRepository source", "OCIRepository source", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if f.url == "" {
				return nil, errors.New("url is required")
			}
			if f.tag == "" && f.semver == "" && f.digest == "" {
				return nil, errors.New("--tag, --tag-semver or --digest is required")
			}
			obj := &sourcev1.OCIRepository{ObjectMeta: meta}
			obj.Spec.URL, obj.Spec.Interval.Duration, obj.Spec.Provider = f.url, cf.interval, f.provider
			obj.Spec.Reference = &sourcev1.OCIRepositoryRef{Tag: f.tag, SemVer: f.semver, Digest: f.digest}
			obj.Spec.SecretRef, obj.Spec.CertSecretRef = localRef(f.secretRef), localRef(f.certRef)
			obj.Spec.ServiceAccountName, obj.Spec.Insecure = f.serviceAccount, f.insecure
			obj.Spec.Ignore = ignorePaths(f.ignorePaths)
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.url, "url", "", "the OCI repository URL")
	fs.StringVar(&f.tag, "tag", "", "the OCI artifact tag")
	fs.StringVar(&f.semver, "tag-semver", "", "the OCI artifact tag semver range")
	fs.StringVar(&f.digest, "digest", "", "the OCI artifact digest")
	fs.StringVar(&f.secretRef, "secret-ref", "", "the name of the Kubernetes image pull secret (type 'kubernetes.io/dockerconfigjson')")
	fs.StringVar(&f.certRef, "cert-ref", "", "the name of a secret to use for TLS certificates")
	fs.StringVar(&f.provider, "provider", "generic", "the OCI provider name, available options are: (generic, aws, azure, gcp)")
	fs.StringVar(&f.ignorePaths, "ignore-paths", "", "set paths to ignore in the artifact (can specify multiple paths with commas)")
	fs.StringVar(&f.serviceAccount, "service-account", "", "the name of the Kubernetes service account that refers to an image pull secret")
	fs.BoolVar(&f.insecure, "insecure", false, "for when the OCI repository is served over plain HTTP")
	return c
}

// bucketSourceFlags are the flags of `create source bucket`.
type bucketSourceFlags struct {
	bucketName, endpoint, provider, region, secretRef, ignorePaths string
	insecure                                                       bool
}

func newCreateSourceBucketCommand(a *app, cf *createFlags) *cobra.Command {
	var f bucketSourceFlags
	c := &cobra.Command{
		Use:   "bucket [name]",
		Short: "Create or update a Bucket source",
		Example: `  # Create a source for an AWS S3 bucket
  ferry create source bucket podinfo \
    --bucket-name=podinfo \
    --endpoint=s3.amazonaws.com \
    --region=us-east-1 \
    --provider=aws \
    --interval=10m`,
		RunE: a.createRunE(cf, "Bucket source", "Bucket source", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if f.bucketName == "" || f.endpoint == "" {
				return nil, errors.New("--bucket-name and --endpoint are required")
			}
			obj := &sourcev1.Bucket{ObjectMeta: meta}
			obj.Spec.BucketName, obj.Spec.Endpoint, obj.Spec.Provider = f.bucketName, f.endpoint, f.provider
			obj.Spec.Region, obj.Spec.Insecure, obj.Spec.Interval.Duration = f.region, f.insecure, cf.interval
			obj.Spec.SecretRef = localRef(f.secretRef)
			obj.Spec.Ignore = ignorePaths(f.ignorePaths)
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.bucketName, "bucket-name", "", "the bucket name")
	fs.StringVar(&f.endpoint, "endpoint", "", "the bucket endpoint address")
	fs.StringVar(&f.provider, "provider", "generic", "the S3 compatible storage provider name, available options are: (generic, aws, gcp, azure)")
	fs.StringVar(&f.region, "region", "", "the bucket region")
	fs.StringVar(&f.secretRef, "secret-ref", "", "the name of an existing secret containing credentials")
	fs.StringVar(&f.ignorePaths, "ignore-paths", "", "set paths to ignore in bucket resource (can specify multiple paths with commas)")
	fs.BoolVar(&f.insecure, "insecure", false, "for when connecting to a non-TLS S3 HTTP endpoint")
	return c
}

func newCreateSourceChartCommand(a *app, cf *createFlags) *cobra.Command {
	var source, chart, version, strategy string
	c := &cobra.Command{
		Use:   "chart [name]",
		Short: "Create or update a HelmChart source",
		Example: `  # Create a source for a chart residing in a HelmRepository
  ferry create source chart podinfo \
    --source=HelmRepository/podinfo \
    --chart=podinfo \
    --chart-version=6.x`,
		RunE: a.createRunE(cf, "HelmChart source", "HelmChart source", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if chart == "" || source == "" {
				return nil, errors.New("--chart and --source are required")
			}
			kind, srcName, _, err := parseRef(source, "")
			if err != nil {
				return nil, err
			}
			obj := &sourcev1.HelmChart{ObjectMeta: meta}
			obj.Spec.Chart, obj.Spec.Version, obj.Spec.Interval.Duration = chart, version, cf.interval
			obj.Spec.SourceRef = sourcev1.LocalHelmChartSourceReference{Kind: kind, Name: srcName}
			obj.Spec.ReconcileStrategy = strategy
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&source, "source", "", "source that contains the chart in the format '<kind>/<name>', where kind must be one of: (HelmRepository, GitRepository, Bucket)")
	fs.StringVar(&chart, "chart", "", "Helm chart name or path")
	fs.StringVar(&version, "chart-version", "", "Helm chart version, accepts a semver range (ignored for charts from GitRepository sources)")
	fs.StringVar(&strategy, "reconcile-strategy", "ChartVersion", "the reconcile strategy, one of: ChartVersion, Revision")
	return c
}

// ignorePaths turns comma-separated --ignore-paths into spec.ignore lines, or nil.
func ignorePaths(paths string) *string {
	if paths == "" {
		return nil
	}
	ignore := strings.Join(strings.Split(paths, ","), "\n")
	return &ignore
}
