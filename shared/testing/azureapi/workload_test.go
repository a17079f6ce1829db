package azureapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

const managementScope = "https://management.azure.com/.default"

// workloadServer starts a server whose principal has only a federated token, and a client
// that trusts it.
func workloadServer(t *testing.T) (*azureapi.Server, *http.Client) {
	t.Helper()
	ca, pair := pki.NewServer(t)
	cert := pair.Certificate
	p := azureapi.Principal{TenantID: "tenant-2", ClientID: "workload", FederatedToken: "projected-sa-token"}
	s, err := azureapi.New(p, cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(nil)}}
}

// assertionToken gets a token for scope through azidentity's client assertion credential,
// as the workload identity credential does.
func assertionToken(s *azureapi.Server, c *http.Client, assertion, scope string) (string, error) {
	cred, err := azidentity.NewClientAssertionCredential("tenant-2", "workload",
		func(context.Context) (string, error) { return assertion, nil },
		&azidentity.ClientAssertionCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Transport: c, Retry: policy.RetryOptions{MaxRetries: -1},
				Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: s.URL() + "/"},
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		return "", err
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
	return tok.Token, err
}

func TestNewRequiresSecretOrFederatedToken(t *testing.T) {
	_, pair := pki.NewServer(t)
	cert := pair.Certificate
	if _, err := azureapi.New(azureapi.Principal{TenantID: "t", ClientID: "c"}, cert); err == nil {
		t.Fatal("a principal without secret or federated token was accepted")
	}
}

func TestWorkloadIdentityAssertion(t *testing.T) {
	s, c := workloadServer(t)
	token, err := assertionToken(s, c, "projected-sa-token", managementScope)
	if err != nil {
		t.Fatal(err)
	}
	if scope, ok := s.TokenScope(token); !ok || scope != managementScope {
		t.Fatalf("token scope %q %v", scope, ok)
	}
	if _, err := assertionToken(s, c, "forged-sa-token", managementScope); err == nil {
		t.Fatal("a forged assertion got a token")
	}
	// Without a secret configured, no secret is accepted, not even an empty one.
	for _, secret := range []string{"", "guess"} {
		resp, err := c.PostForm(s.URL()+"/tenant-2/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"workload"}, "client_secret": {secret},
			"scope": {managementScope},
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("client secret %q: %d", secret, resp.StatusCode)
		}
	}
	if _, ok := s.TokenScope("forged"); ok || s.Denied() != 3 {
		t.Fatalf("denied %d", s.Denied())
	}
}

func TestACRExchangeAndRefreshToken(t *testing.T) {
	s, c := workloadServer(t)
	acr := s.ACR("ferry.azurecr.io")
	reg := httptest.NewServer(acr.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "{}")
	})))
	t.Cleanup(reg.Close)
	mgmt, err := assertionToken(s, c, "projected-sa-token", managementScope)
	if err != nil {
		t.Fatal(err)
	}
	vault, err := assertionToken(s, c, "projected-sa-token", "https://vault.azure.net/.default")
	if err != nil {
		t.Fatal(err)
	}
	exchange := func(service, token string) (int, string) {
		resp, err := http.PostForm(reg.URL+"/oauth2/exchange", url.Values{
			"grant_type": {"access_token"}, "service": {service}, "tenant": {"tenant-2"}, "access_token": {token},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.RefreshToken
	}
	get := func(user, pass string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, reg.URL+"/v2/", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}

	for name, tc := range map[string]struct {
		service, token string
		want           int
	}{
		"wrong service":     {"other.azurecr.io", mgmt, http.StatusBadRequest},
		"token for a vault": {"ferry.azurecr.io", vault, http.StatusUnauthorized},
		"forged token":      {"ferry.azurecr.io", "forged", http.StatusUnauthorized},
	} {
		if code, _ := exchange(tc.service, tc.token); code != tc.want {
			t.Errorf("%s: got %d, want %d", name, code, tc.want)
		}
	}
	code, refresh := exchange("ferry.azurecr.io", mgmt)
	if code != http.StatusOK || refresh == "" {
		t.Fatalf("exchange: %d", code)
	}
	if resp := get("", ""); resp.StatusCode != http.StatusUnauthorized ||
		resp.Header.Get("WWW-Authenticate") != `Basic realm="ferry.azurecr.io"` {
		t.Fatalf("challenge: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := get(azureapi.ACRUser, mgmt); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an access token was taken as a refresh token: %d", resp.StatusCode)
	}
	if resp := get("someone", refresh); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another username was accepted: %d", resp.StatusCode)
	}
	if resp := get(azureapi.ACRUser, refresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh token refused: %d", resp.StatusCode)
	}
	if acr.Exchanges() != 4 {
		t.Fatalf("exchanges %d", acr.Exchanges())
	}
}
