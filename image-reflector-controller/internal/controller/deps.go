// Package controller holds what the reconcilers of ImageRepository and ImagePolicy share: the
// tag store, the controller's settings, and how an ImageRepository reaches its registry (the
// policy looks digests up with the repository's credentials). Each kind lives in its own
// sub-package (imagerepository, imagepolicy) exporting Setup(mgr, rt, deps).
package controller

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/registry/secrets"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
)

// UserAgent is sent to registries.
const UserAgent = "ferry-image-reflector-controller"

// Deps is what both kinds' reconcilers need besides the manager and the runtime.
type Deps struct {
	// Store holds the tags of every ImageRepository.
	Store *tagstore.Store
	// Options are the controller's shared start-up settings (concurrency, cross-namespace
	// references, retry delays).
	Options *manager.Options
	// Reader reads Secrets, ServiceAccounts and Namespaces straight from the API server, so
	// that none of them is cached.
	Reader client.Reader
	// Client requests the tokens of ServiceAccounts (TokenRequest API) for object-level
	// workload identity.
	Client client.SubResourceClientConstructor
	// AutoLogin is --aws-autologin-for-ecr, --gcp-autologin-for-gcr and
	// --azure-autologin-for-acr.
	AutoLogin AutoLogin
}

// AutoLogin says which cloud identities log in to the registries of their provider for
// ImageRepositories of provider generic that name no credentials (Flux's deprecated
// --<cloud>-autologin-for-<registry> flags; spec.provider is the way to ask for it now).
type AutoLogin struct {
	// AWS logs in to Amazon ECR hosts.
	AWS bool
	// Azure logs in to Azure Container Registry hosts.
	Azure bool
	// GCP logs in to Artifact Registry and Container Registry hosts.
	GCP bool
}

// provider returns the cloud provider that logs in to host for a generic ImageRepository
// without credentials, or "".
func (a AutoLogin) provider(host string) string {
	for p, on := range map[string]bool{cloud.AWS: a.AWS, cloud.Azure: a.Azure, cloud.GCP: a.GCP} {
		if on && cloud.CheckRegistryHost(p, host) == nil {
			return p
		}
	}
	return ""
}

// ParseImage parses spec.image, with or without a registry host (`nginx` is Docker Hub's
// `index.docker.io/library/nginx`), into its repository; a tag or digest is refused.
func ParseImage(image string, insecure bool) (name.Repository, error) {
	opts := []name.Option{name.WeakValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(image, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("invalid spec.image '%s': %w", image, err)
	}
	return repo, nil
}

// RegistryClient builds the registry client of repo from what its spec names: secretRef,
// serviceAccountName (its image pull secrets), certSecretRef, proxySecretRef and insecure, or
// the cloud login of spec.provider (or of an --<cloud>-autologin-for-<registry> flag), with
// the identity of spec.serviceAccountName when it names one, else of
// --default-service-account when set.
func (d *Deps) RegistryClient(ctx context.Context, repo *imagev1.ImageRepository) (*registry.Client, error) {
	spec := repo.Spec
	pullSecrets := spec.ServiceAccountName
	if cloud.IsCloud(spec.Provider) {
		pullSecrets = "" // the ServiceAccount is a cloud identity, not image pull secrets
	}
	cfg, err := secrets.Config(ctx, d.Reader,
		secrets.NewRefs(repo.Namespace, pullSecrets, spec.SecretRef, spec.CertSecretRef, spec.ProxySecretRef))
	if err != nil {
		return nil, err
	}
	cfg.Insecure, cfg.UserAgent = repo.Spec.Insecure, UserAgent
	parsed, err := ParseImage(spec.Image, spec.Insecure)
	if err != nil {
		return nil, err
	}
	host, provider := parsed.RegistryStr(), spec.Provider
	if !cloud.IsCloud(provider) && spec.SecretRef == nil && spec.ServiceAccountName == "" {
		provider = d.AutoLogin.provider(host)
	}
	// --default-service-account locks the cloud logins, autologins included, to a
	// ServiceAccount of the repository's namespace.
	name := cloud.ServiceAccountName(provider, spec.ServiceAccountName, d.Options.DefaultServiceAccount)
	if !cloud.IsCloud(spec.Provider) && spec.ServiceAccountName != "" {
		name = "" // image pull secrets, read above
	}
	sa, err := cloud.ObjectServiceAccount(ctx, d.Reader, d.Client, provider, repo.Namespace, name)
	if err != nil {
		return nil, err
	}
	if err := d.Options.Tokens().LoginRegistryAs(ctx, provider, host, &cfg, sa); err != nil {
		return nil, err
	}
	return registry.New(cfg)
}

// CheckProvider returns why repo's spec.provider cannot be used with the rest of its spec,
// or nil; spec.serviceAccountName with a cloud provider needs the feature gate
// ObjectLevelWorkloadIdentity on.
func (d *Deps) CheckProvider(repo *imagev1.ImageRepository, parsed name.Repository) error {
	spec := repo.Spec
	return cloud.CheckRegistrySpec(spec.Provider, parsed.RegistryStr(), spec.ServiceAccountName, spec.SecretRef != nil,
		d.Options.FeatureGate(cloud.ObjectLevelWorkloadIdentity))
}
