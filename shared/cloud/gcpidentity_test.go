package cloud_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/oidcissuer"
)

// tenantSubject is the subject of the tokens of the ServiceAccount tenant/decrypter.
const tenantSubject = "system:serviceaccount:tenant:decrypter"

// jwtAccount is the ServiceAccount tenant/decrypter whose tokens an OIDC issuer signs, as
// the API server's issuer does; it records the audiences asked for, and verifies its tokens
// as Google's Security Token Service does with the issuer's keys.
type jwtAccount struct {
	is *oidcissuer.Issuer

	mu        sync.Mutex
	audiences []string
	issued    map[string]bool
}

// newJWTAccount starts the issuer of a jwtAccount.
func newJWTAccount(t *testing.T) *jwtAccount {
	t.Helper()
	is, err := oidcissuer.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	return &jwtAccount{is: is, issued: map[string]bool{}}
}

// serviceAccount returns the ServiceAccount with the annotations; its tokens are for the
// audience asked for, or for audience when it is not empty (a misconfigured token).
func (a *jwtAccount) serviceAccount(annotations map[string]string, audience string) *cloud.ServiceAccount {
	return &cloud.ServiceAccount{Namespace: "tenant", Name: "decrypter", Annotations: annotations,
		Token: func(_ context.Context, asked string) (string, error) {
			aud := asked
			if audience != "" {
				aud = audience
			}
			tok, err := a.is.Sign(a.is.Claims(aud, tenantSubject))
			if err != nil {
				return "", err
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			a.audiences = append(a.audiences, asked)
			a.issued[tok] = true
			return tok, nil
		}}
}

// verify reports whether the issuer signed token, and its subject.
func (a *jwtAccount) verify(token string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return tenantSubject, a.issued[token]
}

// asked returns the audiences asked for so far, and forgets them.
func (a *jwtAccount) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	got := a.audiences
	a.audiences = nil
	return got
}

// TestGoogleTokenAs gets access tokens of a ServiceAccount's Google identity: through the
// workload identity provider of its annotation, impersonating its Google service account or
// as its own federated principal, and on GKE through the cluster's identity namespace; each
// token is cached apart for its identity.
func TestGoogleTokenAs(t *testing.T) {
	c := cloudtest.GCP(t)
	account := newJWTAccount(t)
	if err := c.Google.AddWorkloadIdentityProvider(cloudtest.WorkloadIdentityProvider, account.verify); err != nil {
		t.Fatal(err)
	}
	c.Google.AllowImpersonation(cloudtest.TenantGoogleServiceAccount, gcpapi.WorkloadIdentityPrincipal(cloudtest.WorkloadIdentityProvider, tenantSubject))
	c.Google.AllowImpersonation(cloudtest.TenantGoogleServiceAccount, gcpapi.GKEPrincipal("ferry-test", "tenant", "decrypter"))
	c.Google.AddGKECluster("ferry-test", "europe-west1", "ferry", account.verify)
	tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
	providerAudience := "//iam.googleapis.com/" + cloudtest.WorkloadIdentityProvider

	for _, tc := range []struct {
		name        string
		annotations map[string]string
		gke         bool
		audience    string
		principal   string
	}{
		{name: "impersonation", annotations: map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider,
			cloud.GCPServiceAccountAnnotation: cloudtest.TenantGoogleServiceAccount},
			audience: providerAudience, principal: cloudtest.TenantGoogleServiceAccount},
		{name: "federated principal", annotations: map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider},
			audience: providerAudience, principal: gcpapi.WorkloadIdentityPrincipal(cloudtest.WorkloadIdentityProvider, tenantSubject)},
		{name: "GKE", annotations: map[string]string{cloud.GCPServiceAccountAnnotation: cloudtest.TenantGoogleServiceAccount}, gke: true,
			audience: "ferry-test.svc.id.goog", principal: cloudtest.TenantGoogleServiceAccount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gke {
				c.GCP.SetCluster("europe-west1", "ferry")
				t.Cleanup(func() { c.GCP.SetCluster("", "") })
			}
			sa := account.serviceAccount(tc.annotations, "")
			first, err := tokens.GoogleTokenAs(t.Context(), sa)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := c.Google.Principal(first.Password); !ok || got != tc.principal {
				t.Fatalf("the token stands for %q, want %q", got, tc.principal)
			}
			if !first.Expiry.After(time.Now().Add(30 * time.Minute)) {
				t.Fatalf("the token expires at %v", first.Expiry)
			}
			exchanges := c.Google.Exchanges()
			src := tokens.GoogleTokenSourceAs(t.Context(), sa)
			again, err := src.Token()
			if err != nil || again.AccessToken != first.Password || c.Google.Exchanges() != exchanges {
				t.Fatalf("the token source did not hand out the cached token (%v)", err)
			}
			if got := account.asked(); len(got) != 1 || got[0] != tc.audience {
				t.Fatalf("ServiceAccount tokens asked for %v, want one for %s", got, tc.audience)
			}
		})
	}
	if got := c.GCP.TokenCalls(); got != 0 {
		t.Fatalf("the controller's identity was asked %d times", got)
	}
}

// TestGoogleTokenAsRefused fails, naming the ServiceAccount and what to change, for a
// ServiceAccount off GKE without the provider annotation, with invalid annotations, with
// tokens of another audience, and for a Google service account it may not impersonate;
// nothing is cached and the controller's identity is never used in its place.
func TestGoogleTokenAsRefused(t *testing.T) {
	c := cloudtest.GCP(t)
	account := newJWTAccount(t)
	if err := c.Google.AddWorkloadIdentityProvider(cloudtest.WorkloadIdentityProvider, account.verify); err != nil {
		t.Fatal(err)
	}
	provider := map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider}
	tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
	for name, tc := range map[string]struct {
		sa   *cloud.ServiceAccount
		want string
	}{
		"not GKE, no provider": {account.serviceAccount(map[string]string{cloud.GCPServiceAccountAnnotation: cloudtest.TenantGoogleServiceAccount}, ""),
			"ServiceAccount 'tenant/decrypter' has no annotation gcp.auth.fluxcd.io/workload-identity-provider, and the controller is not on GKE"},
		"invalid provider": {account.serviceAccount(map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: "projects/p/pools/x"}, ""),
			"ServiceAccount 'tenant/decrypter' has an invalid annotation gcp.auth.fluxcd.io/workload-identity-provider"},
		"invalid email": {account.serviceAccount(map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider,
			cloud.GCPServiceAccountAnnotation: "../../evil"}, ""),
			"ServiceAccount 'tenant/decrypter' has an invalid annotation iam.gke.io/gcp-service-account"},
		"wrong audience": {account.serviceAccount(provider, "https://kubernetes.default.svc"),
			"the Google Cloud identity of ServiceAccount 'tenant/decrypter': the Security Token Service answered 400: The audience in ID Token"},
		"unknown provider": {account.serviceAccount(map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: strings.Replace(cloudtest.WorkloadIdentityProvider, "kubernetes", "other", 1)}, ""),
			"(invalid_target)"},
		"impersonation not granted": {account.serviceAccount(map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider,
			cloud.GCPServiceAccountAnnotation: "someone-else@ferry-test.iam.gserviceaccount.com"}, ""),
			"IAM Credentials answered 403: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist) (PERMISSION_DENIED)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tokens.GoogleTokenAs(t.Context(), tc.sa)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			t.Log(err)
			if strings.Contains(err.Error(), "eyJ") {
				t.Fatalf("the error quotes a token: %v", err)
			}
		})
	}
	if tokens.Len() != 0 || c.GCP.TokenCalls() != 0 {
		t.Fatalf("cached %d, controller tokens asked %d", tokens.Len(), c.GCP.TokenCalls())
	}
}

// TestRegistryLoginAsGoogle logs in to Artifact Registry with the Google service account a
// ServiceAccount impersonates, the only identity the registry accepts, where the controller's
// own identity is refused.
func TestRegistryLoginAsGoogle(t *testing.T) {
	c := cloudtest.GCP(t)
	account := newJWTAccount(t)
	if err := c.Google.AddWorkloadIdentityProvider(cloudtest.WorkloadIdentityProvider, account.verify); err != nil {
		t.Fatal(err)
	}
	c.Google.AllowImpersonation(cloudtest.TenantGoogleServiceAccount, gcpapi.WorkloadIdentityPrincipal(cloudtest.WorkloadIdentityProvider, tenantSubject))
	c.RequireGoogle(cloudtest.TenantGoogleServiceAccount)
	if _, err := c.Registry.PushFiles("app", "v1", map[string]string{"a.yaml": "a: 1\n"}, "", ""); err != nil {
		t.Fatal(err)
	}
	proxy, _ := url.Parse(c.Proxy.URL())
	tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)

	controller := registry.Config{CAData: c.Registry.CACert, Proxy: proxy}
	if err := tokens.LoginRegistry(t.Context(), cloud.GCP, c.Host, &controller); err != nil {
		t.Fatal(err)
	}
	if err := listTags(t, controller, c.Host); !errors.Is(err, registry.ErrAuth) {
		t.Fatalf("the controller's identity: %v, want an authentication error", err)
	}
	sa := account.serviceAccount(map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider,
		cloud.GCPServiceAccountAnnotation: cloudtest.TenantGoogleServiceAccount}, "")
	cfg := registry.Config{CAData: c.Registry.CACert, Proxy: proxy}
	if err := tokens.LoginRegistryAs(t.Context(), cloud.GCP, c.Host, &cfg, sa); err != nil {
		t.Fatal(err)
	}
	if err := listTags(t, cfg, c.Host); err != nil {
		t.Fatalf("the ServiceAccount's identity: %v", err)
	}
	if cfg.Logins[0].Username != "oauth2accesstoken" || c.Google.Impersonations() != 1 {
		t.Fatalf("login as %s after %d impersonations", cfg.Logins[0].Username, c.Google.Impersonations())
	}
}
