package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// acrUser is the username that goes with an ACR refresh token, as Microsoft documents.
const acrUser = "00000000-0000-0000-0000-000000000000"

// AzureDevOpsScope is the scope of Entra ID tokens for Azure DevOps (its application ID).
const AzureDevOpsScope = "499b84ac-1321-427f-aa17-267ca6975798/.default"

// acrScopes are the Entra ID scopes of the tokens that each Azure cloud's container
// registries exchange, by registry domain.
var acrScopes = map[string]string{
	".azurecr.io": "https://management.azure.com/.default",
	".azurecr.cn": "https://management.chinacloudapi.cn/.default",
	".azurecr.us": "https://management.usgovcloudapi.net/.default",
	".azurecr.de": "https://management.microsoftazure.de/.default",
}

// acrScope returns the scope of the token that the registry at host exchanges.
func acrScope(host string) (string, error) {
	h := hostname(host)
	for suffix, scope := range acrScopes {
		if strings.HasSuffix(h, suffix) && len(h) > len(suffix) {
			return scope, nil
		}
	}
	return "", wrongHostError{Azure, "Azure Container Registry (<name>.azurecr.io)", host}
}

// azureCredential returns the Azure credential of sa (see serviceAccountCredential), or the
// controller's when sa is nil, made once per Cache.
func (c *Cache) azureCredential(sa *ServiceAccount) azureIdentity {
	if sa != nil {
		cred, err := serviceAccountCredential(sa)
		return azureIdentity{cred: cred, err: err, name: sa.identity("Azure")}
	}
	if c == nil {
		cred, err := newAzureCredential()
		return azureIdentity{cred: cred, err: err, name: sa.identity("Azure")}
	}
	c.azureOnce.Do(func() {
		c.azure.cred, c.azure.err = newAzureCredential()
		c.azure.name = sa.identity("Azure")
	})
	return c.azure
}

// azureClientOptions are the options of every Entra ID client, and whether instance
// discovery is off (it is only in tests, see TestCAFileEnv).
func azureClientOptions() (azcore.ClientOptions, bool) {
	opts := azcore.ClientOptions{}
	if tr := testTransport(); tr != nil {
		opts.Transport = &http.Client{Transport: tr}
		return opts, true
	}
	return opts, false
}

// serviceAccountCredential is the Azure identity of sa's azure.workload.identity/client-id
// and azure.workload.identity/tenant-id annotations, which Entra ID gives for a token of sa
// as client assertion (audience api://AzureADTokenExchange), as Azure workload identity's
// federated credentials ask. The authority is AZURE_AUTHORITY_HOST, else Azure's public
// cloud.
func serviceAccountCredential(sa *ServiceAccount) (azcore.TokenCredential, error) {
	clientID, err := sa.annotation(Azure, AzureClientIDAnnotation)
	if err != nil {
		return nil, err
	}
	tenantID, err := sa.annotation(Azure, AzureTenantIDAnnotation)
	if err != nil {
		return nil, err
	}
	opts, noDiscovery := azureClientOptions()
	assertion := func(ctx context.Context) (string, error) { return sa.Token(ctx, AzureAudience) }
	cred, err := azidentity.NewClientAssertionCredential(tenantID, clientID, assertion,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	if err != nil {
		return nil, fmt.Errorf("failed to use %s: %w", sa.identity("Azure"), err)
	}
	return cred, nil
}

// newAzureCredential chains the identities a controller pod can have, in Flux's order of
// use: workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID, as
// the workload identity webhook sets them), a service principal in the AZURE_* environment,
// then the managed identity of the node (AZURE_CLIENT_ID picks one of several).
func newAzureCredential() (azcore.TokenCredential, error) {
	opts, noDiscovery := azureClientOptions()
	var chain []azcore.TokenCredential
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, fmt.Errorf("failed to use the Azure workload identity of the controller: %w", err)
		}
		chain = append(chain, cred)
	}
	if os.Getenv("AZURE_CLIENT_SECRET") != "" || os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "" {
		cred, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, fmt.Errorf("failed to use the Azure service principal of the controller's environment: %w", err)
		}
		chain = append(chain, cred)
	}
	miOpts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
	if id := os.Getenv("AZURE_CLIENT_ID"); id != "" {
		miOpts.ID = azidentity.ClientID(id)
	}
	mi, err := azidentity.NewManagedIdentityCredential(miOpts)
	if err != nil {
		return nil, fmt.Errorf("failed to use the Azure managed identity of the controller: %w", err)
	}
	chain = append(chain, mi)
	return azidentity.NewChainedTokenCredential(chain, nil)
}

// AzureToken returns an Entra ID access token of the controller's identity for scope:
// AzureTokenAs without a ServiceAccount.
func (c *Cache) AzureToken(ctx context.Context, scope string) (Login, error) {
	return c.AzureTokenAs(ctx, scope, nil)
}

// AzureTokenAs returns an Entra ID access token for scope of the Azure identity that sa's
// annotations name (object-level workload identity), or of the controller's identity when sa
// is nil, cached, apart for every identity, until shortly before it expires.
func (c *Cache) AzureTokenAs(ctx context.Context, scope string, sa *ServiceAccount) (Login, error) {
	key := Azure + "/token/" + scope + sa.cacheKey()
	if l, ok := c.get(key); ok {
		return l, nil
	}
	id := c.azureCredential(sa)
	if id.err != nil {
		return Login{}, id.err
	}
	tok, err := id.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return Login{}, fmt.Errorf("failed to get an Entra ID token of %s: %w", id.name, err)
	}
	l := Login{Password: tok.Token, Expiry: tok.ExpiresOn}
	c.put(key, l)
	return l, nil
}

// acrLogin exchanges an Entra ID token of the identity id for a refresh token of
// the registry at host (POST /oauth2/exchange, as Azure Container Registry documents), which
// is the password of the null GUID user.
func acrLogin(ctx context.Context, id azureIdentity, host string, hc *http.Client) (Login, error) {
	scope, err := acrScope(host)
	if err != nil {
		return Login{}, err
	}
	if id.err != nil {
		return Login{}, id.err
	}
	tok, err := id.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return Login{}, fmt.Errorf("failed to get an Entra ID token of %s: %w", id.name, err)
	}
	refresh, err := acrExchange(ctx, hc, host, tok.Token)
	if err != nil {
		return Login{}, err
	}
	return Login{Username: acrUser, Password: refresh, Expiry: tok.ExpiresOn}, nil
}

// acrExchange posts the Entra ID token to the registry and returns its refresh token.
func acrExchange(ctx context.Context, hc *http.Client, host, token string) (string, error) {
	form := url.Values{"grant_type": {"access_token"}, "service": {hostname(host)}, "access_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+host+"/oauth2/exchange", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("failed to exchange the Entra ID token at '%s': %w", host, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("failed to exchange the Entra ID token at '%s': %w", host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("failed to exchange the Entra ID token at '%s': the registry answered %s", host, resp.Status)
	}
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.RefreshToken == "" {
		return "", fmt.Errorf("failed to exchange the Entra ID token at '%s': %w", host, errors.New("the answer holds no refresh_token"))
	}
	return out.RefreshToken, nil
}
