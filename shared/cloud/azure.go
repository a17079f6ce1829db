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

// azureCredential returns the controller's Azure credential, made once per Cache.
func (c *Cache) azureCredential() azureIdentity {
	if c == nil {
		cred, err := newAzureCredential()
		return azureIdentity{cred: cred, err: err}
	}
	c.azureOnce.Do(func() { c.azure.cred, c.azure.err = newAzureCredential() })
	return c.azure
}

// newAzureCredential chains the identities a controller pod can have, in Flux's order of
// use: workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID, as
// the workload identity webhook sets them), a service principal in the AZURE_* environment,
// then the managed identity of the node (AZURE_CLIENT_ID picks one of several).
func newAzureCredential() (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{}
	if tr := testTransport(); tr != nil {
		opts.Transport = &http.Client{Transport: tr}
	}
	noDiscovery := testTransport() != nil
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

// AzureToken returns an Entra ID access token of the controller's identity for scope,
// cached until shortly before it expires.
func (c *Cache) AzureToken(ctx context.Context, scope string) (Login, error) {
	key := Azure + "/token/" + scope
	if l, ok := c.get(key); ok {
		return l, nil
	}
	id := c.azureCredential()
	if id.err != nil {
		return Login{}, id.err
	}
	tok, err := id.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return Login{}, fmt.Errorf("failed to get an Entra ID token of the controller's Azure identity: %w", err)
	}
	l := Login{Password: tok.Token, Expiry: tok.ExpiresOn}
	c.put(key, l)
	return l, nil
}

// acrLogin exchanges an Entra ID token of the controller's identity for a refresh token of
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
		return Login{}, fmt.Errorf("failed to get an Entra ID token of the controller's Azure identity: %w", err)
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
