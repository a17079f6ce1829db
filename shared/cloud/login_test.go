package cloud_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
)

// TestRegistryLogin logs in to each provider's registry with the identity its environment
// gives, lists the tags through the login, and logs in again from the cache.
func TestRegistryLogin(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			if _, err := c.Registry.PushFiles("app", "v1", map[string]string{"a.yaml": "a: 1\n"}, "", ""); err != nil {
				t.Fatal(err)
			}
			proxy, _ := url.Parse(c.Proxy.URL())
			cfg := registry.Config{CAData: c.Registry.CACert, Proxy: proxy}
			anonymous := listTags(t, cfg, c.Host)
			if !errors.Is(anonymous, registry.ErrAuth) {
				t.Fatalf("without a login the registry answered %v, want an authentication error", anonymous)
			}

			tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
			if err := tokens.LoginRegistry(t.Context(), c.Provider, c.Host, &cfg); err != nil {
				t.Fatal(err)
			}
			if err := listTags(t, cfg, c.Host); err != nil {
				t.Fatalf("with the %s login: %v", c.Provider, err)
			}
			before := c.Logins()
			again := registry.Config{CAData: c.Registry.CACert, Proxy: proxy}
			if err := tokens.LoginRegistry(t.Context(), c.Provider, c.Host, &again); err != nil {
				t.Fatal(err)
			}
			if got := c.Logins(); got != before {
				t.Fatalf("a cached login asked the token service again (%d calls, want %d)", got, before)
			}
			if again.Logins[0] != cfg.Logins[0] {
				t.Fatal("the cached login differs from the first")
			}
			if got := c.Proxy.Tunnelled(); len(got) != 1 || got[0] != c.Host {
				t.Fatalf("tunnelled %v, want only %s", got, c.Host)
			}
		})
	}
}

// listTags lists the tags of <host>/app with cfg.
func listTags(t *testing.T, cfg registry.Config, host string) error {
	t.Helper()
	client, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	repo, err := name.NewRepository(host + "/app")
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.ListTags(t.Context(), repo)
	return err
}

// TestRegistryLoginRefusedIdentity reports an identity the token service refuses, naming
// the provider's step, without a secret value.
func TestRegistryLoginRefusedIdentity(t *testing.T) {
	c := cloudtest.AWS(t)
	c.AWS.AllowWebIdentity(cloudtest.RoleARN, "another-token") // the projected token no longer works
	tokens := cloud.NewCache(1, time.Hour)
	cfg := registry.Config{CAData: c.Registry.CACert}
	err := tokens.LoginRegistry(t.Context(), c.Provider, c.Host, &cfg)
	if err == nil {
		t.Fatal("a refused web identity logged in")
	}
	t.Log(err)
	if tokens.Len() != 0 {
		t.Fatal("a failed login was cached")
	}
}
