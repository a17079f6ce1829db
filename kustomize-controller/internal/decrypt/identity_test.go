package decrypt_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/oidcissuer"
)

// tenantSA names the ServiceAccount of the identity tests.
const tenantSA = "tenant/decrypter"

// account is a ServiceAccount for the identity tests: what Kubernetes would answer for
// tenantSA, with tokens that are token.
type account struct {
	annotations map[string]string
	token       string
	reads       atomic.Int32 // ReadServiceAccount calls
	tokens      atomic.Int32 // Token calls
}

// identity is the Identity of the ServiceAccount, with its own token cache.
func (a *account) identity() decrypt.Identity {
	return decrypt.Identity{
		Tokens:         cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration),
		ServiceAccount: tenantSA,
		ReadServiceAccount: func(context.Context) (*cloud.ServiceAccount, error) {
			a.reads.Add(1)
			return &cloud.ServiceAccount{Namespace: "tenant", Name: "decrypter", Annotations: a.annotations,
				Token: func(context.Context, string) (string, error) { a.tokens.Add(1); return a.token, nil }}, nil
		},
	}
}

// controllerIdentity is the controller's own identity, with its own token cache.
func controllerIdentity() decrypt.Identity {
	return decrypt.Identity{Tokens: cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration), Controller: true}
}

// TestDecryptAWSKMSWithIdentity decrypts with the role of a ServiceAccount (its token
// assumes it through STS) a key that only that role may use, and with the controller's own
// credentials (the AWS_* environment) a key the controller may use; neither identity stands
// in for the other, and the Secret's credentials come first.
func TestDecryptAWSKMSWithIdentity(t *testing.T) {
	root := awsapi.Credentials{AccessKeyID: "AKIAFERRYCONTROLLER", SecretAccessKey: "controller-secret-key"}
	s, err := awsapi.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		decrypt.TestAWSKMSEndpointEnv: s.URL(), "AWS_CA_BUNDLE": "", "AWS_ENDPOINT_URL_STS": s.URL(),
		"AWS_ACCESS_KEY_ID": root.AccessKeyID, "AWS_SECRET_ACCESS_KEY": root.SecretAccessKey, "AWS_SESSION_TOKEN": "",
		"AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	s.AllowWebIdentity(cloudtest.TenantRoleARN, "genuine-token")
	tenantKey := strings.Replace(testARN, "0c8f2a7e", "7e7e7e7e", 1)
	s.RequireRole(tenantKey, cloudtest.TenantRoleARN)
	forTenant := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AWSKMS(s, tenantKey, "", nil))
	forAny := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AWSKMS(s, testARN, "", nil))
	annotations := map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}
	g := NewWithT(t)

	tenant := &account{annotations: annotations, token: "genuine-token"}
	expectDecryptsAs(g, nil, tenant.identity(), forTenant)
	g.Expect(tenant.reads.Load()).To(BeEquivalentTo(1))
	expectFailsAs(g, nil, controllerIdentity(), forTenant, []string{"the AWS KMS key " + tenantKey + " failed", "AccessDeniedException"})

	expectDecryptsAs(g, nil, controllerIdentity(), forAny)
	// A ServiceAccount whose token STS refuses fails, naming it: the controller's
	// credentials, which would decrypt, are not used in its place.
	forged := &account{annotations: annotations, token: "forged-token"}
	expectFailsAs(g, nil, forged.identity(), forAny, []string{"ServiceAccount '" + tenantSA + "'", "InvalidIdentityToken"}, "forged-token")
	expectFailsAs(g, nil, (&account{token: "genuine-token"}).identity(), forAny,
		[]string{"ServiceAccount '" + tenantSA + "' has no annotation " + cloud.AWSRoleARNAnnotation})

	// The Secret's credentials come first: the ServiceAccount is not even read.
	forged = &account{annotations: annotations, token: "forged-token"}
	secret := map[string][]byte{decrypt.AWSKMSKey: []byte("aws_access_key_id: " + root.AccessKeyID + "\naws_secret_access_key: " + root.SecretAccessKey + "\n")}
	expectDecryptsAs(g, secret, forged.identity(), forAny)
	g.Expect(forged.reads.Load()).To(BeZero())

	// Without an identity, the missing entry is named, with why no identity was used.
	expectFailsAs(g, nil, decrypt.Identity{Refused: "no identity here"}, forAny,
		[]string{"needs credentials: no sops.aws-kms entry in the decryption Secret, and no identity here"})
}

// TestDecryptAzureKeyVaultWithIdentity decrypts with the Entra ID identity of a
// ServiceAccount (its token is the client assertion of a federated credential) in a vault
// where only that identity may use the key, and with the controller's workload identity where
// only the controller's may; the Secret's service principal comes first.
func TestDecryptAzureKeyVaultWithIdentity(t *testing.T) {
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	// The vault is the authority's server: the key source trusts the same CA.
	t.Setenv(decrypt.TestCAFileEnv, os.Getenv(cloud.TestCAFileEnv))
	t.Setenv(decrypt.TestAzureAuthorityEnv, authority.URL())
	g := NewWithT(t)
	g.Expect(authority.AddPrincipal(azureapi.Principal{TenantID: cloudtest.AzureTenantID, ClientID: cloudtest.TenantClientID,
		Federated: func(assertion string) bool { return assertion == "genuine-token" }})).To(Succeed())
	static := azureapi.Principal{TenantID: cloudtest.AzureTenantID, ClientID: "static-client", ClientSecret: "static-secret"}
	g.Expect(authority.AddPrincipal(static)).To(Succeed())
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AzureKV(authority, "sops", "1"))
	key := authority.URL() + "/keys/sops/1"
	annotations := map[string]string{cloud.AzureClientIDAnnotation: cloudtest.TenantClientID, cloud.AzureTenantIDAnnotation: cloudtest.AzureTenantID}

	authority.RequireKeyClient(cloudtest.TenantClientID)
	tenant := &account{annotations: annotations, token: "genuine-token"}
	expectDecryptsAs(g, nil, tenant.identity(), enc)
	expectFailsAs(g, nil, controllerIdentity(), enc, []string{"the Azure Key Vault key " + key + " failed", "Forbidden"})
	forged := &account{annotations: annotations, token: "forged-token"}
	expectFailsAs(g, nil, forged.identity(), enc, []string{"ServiceAccount '" + tenantSA + "'"}, "forged-token")

	authority.RequireKeyClient("ferry-source-controller")
	expectDecryptsAs(g, nil, controllerIdentity(), enc)
	expectFailsAs(g, nil, tenant.identity(), enc, []string{"Forbidden"})

	// The Secret's service principal comes first: the ServiceAccount is not even read.
	authority.RequireKeyClient(static.ClientID)
	secret := map[string][]byte{decrypt.AzureKVKey: []byte(`{"tenantId":"` + static.TenantID + `","clientId":"` + static.ClientID +
		`","clientSecret":"` + static.ClientSecret + `"}`)}
	forged = &account{annotations: annotations, token: "forged-token"}
	expectDecryptsAs(g, secret, forged.identity(), enc)
	g.Expect(forged.reads.Load()).To(BeZero())
}

// TestDecryptGCPKMSWithIdentity decrypts with the controller's Google identity (the
// metadata server of GKE), and with the Google service account that a ServiceAccount
// impersonates through its workload identity provider (its token exchanged at the Security
// Token Service, then generateAccessToken), a key that only that account may use; the
// controller's identity is then refused, and a ServiceAccount without the provider
// annotation fails naming it without falling back to the controller's identity.
func TestDecryptGCPKMSWithIdentity(t *testing.T) {
	s, err := gcpapi.New("sops@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	md := gcpapi.NewMetadata(t, "kustomize-controller@ferry-test.iam.gserviceaccount.com")
	s.AcceptTokens(md.Valid)
	t.Setenv(decrypt.TestGCPKMSEndpointEnv, s.URL())
	t.Setenv("GCE_METADATA_HOST", md.Host())
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	const resource = "projects/ferry-test/locations/global/keyRings/sops/cryptoKeys/app"
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.GCPKMS(s, resource))
	g := NewWithT(t)

	id := controllerIdentity()
	expectDecryptsAs(g, nil, id, enc)
	expectDecryptsAs(g, nil, id, enc)
	g.Expect(s.Decrypts()).To(BeEquivalentTo(2))
	g.Expect(md.TokenCalls()).To(BeEquivalentTo(1), "the token is kept in the cache")

	// The ServiceAccount's token is a JWT for the provider, which the STS trusts.
	const subject = "system:serviceaccount:tenant:decrypter"
	issuer, err := oidcissuer.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer issuer.Close()
	jwt, err := issuer.Sign(issuer.Claims("//iam.googleapis.com/"+cloudtest.WorkloadIdentityProvider, subject))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.AddWorkloadIdentityProvider(cloudtest.WorkloadIdentityProvider,
		func(token string) (string, bool) { return subject, token == jwt })).To(Succeed())
	s.AllowImpersonation(cloudtest.TenantGoogleServiceAccount, gcpapi.WorkloadIdentityPrincipal(cloudtest.WorkloadIdentityProvider, subject))
	t.Setenv(cloud.TestGoogleEndpointEnv, s.URL())
	s.RequirePrincipal(cloudtest.TenantGoogleServiceAccount)

	tenant := &account{token: jwt, annotations: map[string]string{cloud.GCPWorkloadIdentityProviderAnnotation: cloudtest.WorkloadIdentityProvider,
		cloud.GCPServiceAccountAnnotation: cloudtest.TenantGoogleServiceAccount}}
	expectDecryptsAs(g, nil, tenant.identity(), enc)
	g.Expect(s.Impersonations()).To(BeEquivalentTo(1))
	expectFailsAs(g, nil, controllerIdentity(), enc, []string{"the GCP KMS key " + resource})

	plain, before := &account{token: jwt}, md.TokenCalls()
	expectFailsAs(g, nil, plain.identity(), enc, []string{"ServiceAccount '" + tenantSA + "' has no annotation " +
		cloud.GCPWorkloadIdentityProviderAnnotation}, jwt)
	g.Expect(md.TokenCalls()).To(Equal(before), "the controller's identity is not used for a ServiceAccount")
	g.Expect(s.Decrypts()).To(BeEquivalentTo(3))

	// The Secret's service account comes first: the ServiceAccount is not even read.
	s.RequirePrincipal("")
	forged := &account{token: "forged"}
	expectDecryptsAs(g, map[string][]byte{decrypt.GCPKMSKey: s.ServiceAccountJSON()}, forged.identity(), enc)
	g.Expect(forged.reads.Load()).To(BeZero())
}
