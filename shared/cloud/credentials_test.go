package cloud_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
)

// tokenAccount is a ServiceAccount whose tokens are token; it records the audiences asked
// for.
type tokenAccount struct {
	mu        sync.Mutex
	audiences []string
}

// serviceAccount returns the ServiceAccount tenant/decrypter with the annotations, whose
// Token returns token.
func (a *tokenAccount) serviceAccount(annotations map[string]string, token string) *cloud.ServiceAccount {
	return &cloud.ServiceAccount{Namespace: "tenant", Name: "decrypter", Annotations: annotations,
		Token: func(_ context.Context, audience string) (string, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.audiences = append(a.audiences, audience)
			return token, nil
		}}
}

// asked returns the audiences asked for so far.
func (a *tokenAccount) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.audiences...)
}

// TestAWSCredentials gets the credentials of the controller's IRSA role and of a
// ServiceAccount's role, each of which is the only one ECR accepts in turn, and keeps them
// between requests; a token STS refuses and a ServiceAccount without the annotation fail
// naming the ServiceAccount.
func TestAWSCredentials(t *testing.T) {
	c := cloudtest.AWS(t)
	c.AWS.AllowWebIdentity(cloudtest.TenantRoleARN, "genuine-token")
	login := func(p aws.CredentialsProvider) error {
		client := ecr.New(ecr.Options{Region: "us-east-1", Credentials: p, BaseEndpoint: aws.String(c.AWS.URL())})
		_, err := client.GetAuthorizationToken(t.Context(), &ecr.GetAuthorizationTokenInput{})
		return err
	}
	if err := login(cloud.AWSCredentials("us-east-1", nil)); err != nil {
		t.Fatalf("the controller's role: %v", err)
	}

	c.AWS.RequireECRRole(cloudtest.TenantRoleARN)
	if err := login(cloud.AWSCredentials("us-east-1", nil)); err == nil {
		t.Fatal("the controller's role was accepted where only the ServiceAccount's is")
	}
	var account tokenAccount
	p := cloud.AWSCredentials("us-east-1",
		account.serviceAccount(map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}, "genuine-token"))
	for range 2 {
		if err := login(p); err != nil {
			t.Fatalf("the ServiceAccount's role: %v", err)
		}
	}
	if got := account.asked(); len(got) != 1 || got[0] != cloud.AWSAudience {
		t.Fatalf("ServiceAccount tokens asked for %v, want one for %s (the credentials kept)", got, cloud.AWSAudience)
	}

	for name, sa := range map[string]*cloud.ServiceAccount{
		"a token STS refuses": account.serviceAccount(map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}, "forged-token"),
		"no annotation":       account.serviceAccount(nil, "genuine-token"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cloud.AWSCredentials("us-east-1", sa).Retrieve(t.Context())
			if err == nil || !strings.Contains(err.Error(), "ServiceAccount 'tenant/decrypter'") {
				t.Fatalf("got %v, want an error naming the ServiceAccount", err)
			}
			if strings.Contains(err.Error(), "forged-token") {
				t.Fatalf("the error quotes the token: %v", err)
			}
		})
	}
}

// TestAzureCredential gets Entra ID tokens of the controller's workload identity and of a
// ServiceAccount's, each issued to its own client, through the cache.
func TestAzureCredential(t *testing.T) {
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	err := authority.AddPrincipal(azureapi.Principal{TenantID: cloudtest.AzureTenantID, ClientID: cloudtest.TenantClientID,
		Federated: func(assertion string) bool { return assertion == "genuine-token" }})
	if err != nil {
		t.Fatal(err)
	}
	tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
	const scope = "https://vault.azure.net/.default"
	get := func(cred azcore.TokenCredential, scopes ...string) (azcore.AccessToken, error) {
		return cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes})
	}
	client := func(tok azcore.AccessToken) string {
		id, ok := authority.TokenClient(tok.Token)
		if s, _ := authority.TokenScope(tok.Token); !ok || s != scope {
			t.Fatalf("a token the authority did not issue for %s", scope)
		}
		if !tok.ExpiresOn.After(time.Now()) {
			t.Fatalf("the token expires at %v", tok.ExpiresOn)
		}
		return id
	}

	controller, err := get(tokens.AzureCredential(nil), scope)
	if err != nil {
		t.Fatal(err)
	}
	if got := client(controller); got != "ferry-source-controller" {
		t.Fatalf("the controller's token was issued to %s", got)
	}

	var account tokenAccount
	annotations := map[string]string{cloud.AzureClientIDAnnotation: cloudtest.TenantClientID, cloud.AzureTenantIDAnnotation: cloudtest.AzureTenantID}
	cred := tokens.AzureCredential(account.serviceAccount(annotations, "genuine-token"))
	first, err := get(cred, scope)
	if err != nil {
		t.Fatal(err)
	}
	if got := client(first); got != cloudtest.TenantClientID {
		t.Fatalf("the ServiceAccount's token was issued to %s", got)
	}
	again, err := get(cred, scope)
	if err != nil || again.Token != first.Token {
		t.Fatalf("the second token (%v) is not the cached one", err)
	}
	if got := account.asked(); len(got) != 1 || got[0] != cloud.AzureAudience {
		t.Fatalf("ServiceAccount tokens asked for %v, want one for %s", got, cloud.AzureAudience)
	}

	// A new cache: the cached token of the ServiceAccount's identity would still be handed out.
	fresh := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
	if _, err := get(fresh.AzureCredential(account.serviceAccount(annotations, "forged-token")), scope); err == nil ||
		!strings.Contains(err.Error(), "ServiceAccount 'tenant/decrypter'") {
		t.Fatalf("a forged token: got %v, want an error naming the ServiceAccount", err)
	}
	if _, err := get(cred, scope, "https://storage.azure.com/.default"); err == nil || !strings.Contains(err.Error(), "one scope is needed") {
		t.Fatalf("two scopes: got %v", err)
	}
}

// TestGoogleTokenSource gets the access token of the metadata server, once for two uses.
func TestGoogleTokenSource(t *testing.T) {
	c := cloudtest.GCP(t)
	src := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration).GoogleTokenSource(t.Context())
	for range 2 {
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		if !c.GCP.Valid(tok.AccessToken) || tok.Type() != "Bearer" || !tok.Expiry.After(time.Now()) {
			t.Fatalf("not the metadata server's token: %+v", tok.Expiry)
		}
	}
	if got := c.GCP.TokenCalls(); got != 1 {
		t.Fatalf("the metadata server was asked %d times, want 1", got)
	}
}
