package cloud

import (
	"context"

	"github.com/ferry-gitops/ferry/shared/registry"
)

// LoginRegistry logs in to the registry at host with the controller's identity of provider
// and adds the login to cfg: LoginRegistryAs without a ServiceAccount.
func (c *Cache) LoginRegistry(ctx context.Context, provider, host string, cfg *registry.Config) error {
	return c.LoginRegistryAs(ctx, provider, host, cfg, nil)
}

// LoginRegistryAs logs in to the registry at host with the identity of provider that sa
// names (the controller's when sa is nil, see RegistryLoginAs) and adds the login to cfg,
// reaching the registry (for Azure's exchange) with cfg's TLS material and proxy. It does
// nothing for a provider that is not a cloud's.
func (c *Cache) LoginRegistryAs(ctx context.Context, provider, host string, cfg *registry.Config, sa *ServiceAccount) error {
	if !IsCloud(provider) {
		return nil
	}
	hc, err := registry.HTTPClient(*cfg)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	l, err := c.RegistryLoginAs(ctx, provider, host, hc, sa)
	if err != nil {
		return err
	}
	cfg.Logins = append(cfg.Logins, registry.Login{Host: host, Username: l.Username, Password: l.Password})
	return nil
}

// CheckRegistryHost returns an error naming the provider's registries when provider is a cloud's and
// host is not one of its registries (an ECR login for a registry that is not ECR), or nil.
func CheckRegistryHost(provider, host string) error {
	var err error
	switch provider {
	case AWS:
		_, err = ecrRegion(host)
	case Azure:
		_, err = acrScope(host)
	case GCP:
		if !isGoogleRegistry(host) {
			err = wrongHostError{GCP, "Artifact Registry (<location>-docker.pkg.dev) and Container Registry (gcr.io)", host}
		}
	}
	return err
}

// CheckRegistrySpec is CheckSpec, then CheckRegistryHost: why an object reaching the
// registry at host with these settings can never work, or nil; objectLevel is whether the
// feature gate ObjectLevelWorkloadIdentity is on.
func CheckRegistrySpec(provider, host, serviceAccount string, secretRef, objectLevel bool) error {
	if err := CheckSpec(provider, serviceAccount, secretRef, objectLevel); err != nil {
		return err
	}
	return CheckRegistryHost(provider, host)
}
