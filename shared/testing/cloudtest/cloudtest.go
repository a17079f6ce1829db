// Package cloudtest gives a test the cloud identity of a controller pod, as each provider's
// environment describes it, against the local servers of shared/testing: an IRSA web
// identity that STS (awsapi) trades for a role allowed to call ECR's GetAuthorizationToken;
// an Azure workload identity that Entra ID (azureapi) trades for a token which an Azure
// Container Registry exchanges; a GKE metadata server (gcpapi) handing out access tokens,
// next to Google's Security Token Service and IAM Credentials (gcpapi) for object-level
// identities.
// Each sets the provider's own environment variables with t.Setenv (so tests using it cannot
// run in parallel) and serves a registry under the provider's hostname, reached through a
// tunnelling proxy, which accepts only the login the provider's token service handed out.
// ServiceAccountIdentity adds an object-level identity that only a ServiceAccount's genuine
// tokens (checked by the API server's TokenReview) obtain. Only tests import it.
package cloudtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// The registry hosts each provider logs in to.
const (
	// ECRHost is an Amazon ECR registry in us-east-1.
	ECRHost = "012345678901.dkr.ecr.us-east-1.amazonaws.com"
	// ACRHost is an Azure Container Registry.
	ACRHost = "ferry.azurecr.io"
	// GARHost is a Google Artifact Registry location.
	GARHost = "europe-docker.pkg.dev"
	// RoleARN is the IAM role of the AWS identity.
	RoleARN = "arn:aws:iam::012345678901:role/ferry-source-controller"
)

// Cloud is a provider's identity set up for a test, and its registry.
type Cloud struct {
	// Provider is aws, azure or gcp.
	Provider string
	// Host is the provider's registry host.
	Host string
	// Registry serves Host (through Proxy), accepting only the provider's login.
	Registry *registry.Registry
	// Proxy tunnels Host to Registry.
	Proxy *httpproxy.Proxy
	// Logins counts the requests to the provider's token service for a registry login
	// (ECR GetAuthorizationToken, ACR exchanges, metadata token requests).
	Logins func() int64
	// AWS, Azure and GCP are the servers of the provider (the others are nil).
	AWS *awsapi.Server
	// Azure is the Entra ID authority of provider azure.
	Azure *azureapi.Server
	// GCP is the metadata server of provider gcp.
	GCP *gcpapi.Metadata
	// Google is the Security Token Service and IAM Credentials of provider gcp (also a Cloud
	// Storage and Cloud KMS endpoint), at shared/cloud's TestGoogleEndpointEnv.
	Google *gcpapi.Server

	acr            *azureapi.ACR          // the registry's authentication, for provider azure
	googleRequired atomic.Pointer[string] // the only Google principal the registry accepts
}

// AWS sets up an IRSA identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) whose role may
// log in to ECRHost, with STS and ECR at a local server (AWS_ENDPOINT_URL_STS,
// AWS_ENDPOINT_URL_ECR) and no other credential source.
func AWS(t testing.TB) *Cloud {
	t.Helper()
	srv, err := awsapi.New(awsapi.Credentials{AccessKeyID: "AKIA" + random(8), SecretAccessKey: random(20)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	token := random(32)
	srv.AllowWebIdentity(RoleARN, token)
	srv.RequireECRRole(RoleARN)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ROLE_ARN": RoleARN, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "ferry",
		"AWS_ENDPOINT_URL_STS": srv.URL(), "AWS_ENDPOINT_URL_ECR": srv.URL(),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_ACCESS_KEY_ID": "",
		"AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
	} {
		t.Setenv(k, v)
	}
	c := &Cloud{Provider: "aws", Host: ECRHost, AWS: srv, Logins: srv.ECRCalls}
	c.serve(t, registry.Options{Authorize: func(user, password string) bool {
		return user == "AWS" && password == srv.ECRPassword()
	}})
	return c
}

// AzureIdentity sets up a workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID,
// AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST) at a local Entra ID authority, trusted
// through a test CA hook (caEnv names it: shared/cloud's TestCAFileEnv), and returns the
// authority.
func AzureIdentity(t testing.TB, caEnv string) *azureapi.Server {
	t.Helper()
	cert := pki.TrustedServer(t, caEnv)
	token := random(32)
	p := azureapi.Principal{TenantID: AzureTenantID, ClientID: "ferry-source-controller", FederatedToken: token}
	srv, err := azureapi.New(p, cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AZURE_CLIENT_ID": p.ClientID, "AZURE_TENANT_ID": p.TenantID, "AZURE_FEDERATED_TOKEN_FILE": tokenFile,
		"AZURE_AUTHORITY_HOST": srv.URL() + "/", "AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "",
	} {
		t.Setenv(k, v)
	}
	return srv
}

// Azure sets up AzureIdentity and an Azure Container Registry at ACRHost that exchanges its
// tokens.
func Azure(t testing.TB, caEnv string) *Cloud {
	t.Helper()
	srv := AzureIdentity(t, caEnv)
	acr := srv.ACR(ACRHost)
	c := &Cloud{Provider: "azure", Host: ACRHost, Azure: srv, Logins: acr.Exchanges, acr: acr}
	c.serve(t, registry.Options{Wrap: acr.Wrap})
	return c
}

// googleEndpointEnv is shared/cloud's TestGoogleEndpointEnv: the base URL of the Security
// Token Service and IAM Credentials in a test.
const googleEndpointEnv = "FERRY_CLOUD_TEST_GOOGLE_ENDPOINT"

// GCP sets up a metadata server (GCE_METADATA_HOST) of a GKE node or workload identity, with
// no other Application Default Credentials, Google's Security Token Service and IAM
// Credentials at a local server (the test hook of shared/cloud), and a registry at GARHost
// that accepts the metadata server's tokens.
func GCP(t testing.TB) *Cloud {
	t.Helper()
	md := gcpapi.NewMetadata(t, "ferry-source-controller@ferry-test.iam.gserviceaccount.com")
	google, err := gcpapi.New("ferry-source-controller@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(google.Close)
	t.Setenv("GCE_METADATA_HOST", md.Host())
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	t.Setenv(googleEndpointEnv, google.URL())
	c := &Cloud{Provider: "gcp", Host: GARHost, GCP: md, Google: google, Logins: md.TokenCalls}
	c.serve(t, registry.Options{Authorize: func(user, password string) bool {
		if user != "oauth2accesstoken" {
			return false
		}
		if want := c.googleRequired.Load(); want != nil && *want != "" {
			got, ok := google.Principal(password)
			return ok && got == *want
		}
		return md.Valid(password)
	}})
	return c
}

// serve starts the registry of c.Host, with TLS for that name, behind a tunnelling proxy.
func (c *Cloud) serve(t testing.TB, opts registry.Options) {
	opts.Hosts = []string{c.Host}
	c.Registry = registry.New(t, opts)
	c.Proxy = httpproxy.NewTunnel(t, map[string]string{c.Host: c.Registry.Host})
}

// OCIURL is the oci:// URL of repository name at the provider's registry host.
func (c *Cloud) OCIURL(name string) string { return "oci://" + c.Host + "/" + name }

// random is n random bytes, hex-encoded.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// All are the set-ups of every provider, in the order aws, azure, gcp; caEnv is the CA test
// hook of shared/cloud (TestCAFileEnv), for Azure's authority.
func All(caEnv string) []func(testing.TB) *Cloud {
	return []func(testing.TB) *Cloud{AWS, func(t testing.TB) *Cloud { return Azure(t, caEnv) }, GCP}
}
