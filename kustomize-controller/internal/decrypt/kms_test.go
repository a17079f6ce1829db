package decrypt_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
)

const testARN = "arn:aws:kms:eu-west-1:123456789012:key/0c8f2a7e-1b2c-4d5e-8f90-123456789abc"

func TestDecryptAWSKMS(t *testing.T) {
	creds := awsapi.Credentials{AccessKeyID: "AKIAFERRYTEST", SecretAccessKey: "ferry-secret-access-key", SessionToken: "ferry-session"}
	s, err := awsapi.New(creds)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Setenv(decrypt.TestAWSKMSEndpointEnv, s.URL())
	// The SDK cannot add a CA bundle of the environment to the test hook's HTTP client.
	t.Setenv("AWS_CA_BUNDLE", "")
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "",
		sopstest.AWSKMS(s, testARN, "", map[string]string{"app": "ferry"}))
	entry := func(id, secret string) map[string][]byte {
		return map[string][]byte{decrypt.AWSKMSKey: []byte("aws_access_key_id: " + id + "\naws_secret_access_key: " + secret +
			"\naws_session_token: " + creds.SessionToken + "\n")}
	}
	g := NewWithT(t)

	expectDecrypts(g, entry(creds.AccessKeyID, creds.SecretAccessKey), enc)
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))

	expectFails(g, entry(creds.AccessKeyID, "wrong-secret-key"), enc,
		[]string{"the AWS KMS key " + testARN + " failed", "InvalidSignatureException"}, "wrong-secret-key")
	expectFails(g, entry("AKIAOTHER", creds.SecretAccessKey), enc, []string{"UnrecognizedClientException"}, creds.SecretAccessKey)
	g.Expect(s.Denied()).To(BeEquivalentTo(2))

	// Without the Secret's credentials nothing is sent, even when the controller's
	// environment has credentials.
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
	expectFails(g, map[string][]byte{}, enc, []string{"needs credentials: no sops.aws-kms entry"})
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))
	g.Expect(s.Denied()).To(BeEquivalentTo(2))

	// A key that only a role may use: the document names the role, which the Secret's
	// credentials assume through STS.
	const roleARN = "arn:aws:iam::123456789012:role/sops-decrypt"
	roleKey := strings.Replace(testARN, "0c8f2a7e", "1d9e3b8f", 1)
	s.RequireRole(roleKey, roleARN)
	withRole := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AWSKMS(s, roleKey, roleARN, nil))
	withoutRole := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AWSKMS(s, roleKey, "", nil))
	expectDecrypts(g, entry(creds.AccessKeyID, creds.SecretAccessKey), withRole)
	g.Expect(s.Decrypts()).To(BeEquivalentTo(2))
	expectFails(g, entry(creds.AccessKeyID, creds.SecretAccessKey), withoutRole, []string{"AccessDeniedException"})

	_, err = decrypt.NewDecryptor(map[string][]byte{decrypt.AWSKMSKey: []byte("aws_access_key_id: x\n")})
	g.Expect(err).To(MatchError(ContainSubstring("aws_access_key_id and aws_secret_access_key are required")))
}

func TestDecryptAzureKeyVault(t *testing.T) {
	p := azureapi.Principal{TenantID: "a1b2c3d4-0000-4000-8000-000000000001", ClientID: "ferry-client", ClientSecret: "ferry-client-secret"}
	s, err := azureapi.New(p, sopstest.TrustedCertificate(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Setenv(decrypt.TestAzureAuthorityEnv, s.URL())
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.AzureKV(s, "sops", "0123456789abcdef"))
	entry := func(secret string) map[string][]byte {
		return map[string][]byte{decrypt.AzureKVKey: []byte(`{"tenantId":"` + p.TenantID + `","clientId":"` + p.ClientID +
			`","clientSecret":"` + secret + `"}`)}
	}
	g := NewWithT(t)

	expectDecrypts(g, entry(p.ClientSecret), enc)
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))

	expectFails(g, entry("wrong-client-secret"), enc,
		[]string{"the Azure Key Vault key " + s.URL() + "/keys/sops/0123456789abcdef failed", "invalid_client"}, "wrong-client-secret")
	g.Expect(s.Denied()).To(BeEquivalentTo(1))

	// Without the Secret's credentials nothing is sent, even when the controller's
	// environment has some.
	t.Setenv("AZURE_TENANT_ID", p.TenantID)
	t.Setenv("AZURE_CLIENT_ID", p.ClientID)
	t.Setenv("AZURE_CLIENT_SECRET", p.ClientSecret)
	expectFails(g, map[string][]byte{}, enc, []string{"needs credentials: no sops.azure-kv entry"})
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))

	for value, want := range map[string]string{
		`{"clientId":"x"}`: "tenantId, clientId and clientSecret are required",
		`{"tenantId":"t","clientId":"c","clientCertificate":"pem"}`: "clientCertificate is not supported by Ferry",
	} {
		_, err := decrypt.NewDecryptor(map[string][]byte{decrypt.AzureKVKey: []byte(value)})
		g.Expect(err).To(MatchError(ContainSubstring(want)))
	}
}

func TestDecryptGCPKMS(t *testing.T) {
	s, err := gcpapi.New("sops@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Setenv(decrypt.TestGCPKMSEndpointEnv, s.URL())
	const resource = "projects/ferry-test/locations/global/keyRings/sops/cryptoKeys/app"
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.GCPKMS(s, resource))
	g := NewWithT(t)

	expectDecrypts(g, map[string][]byte{decrypt.GCPKMSKey: s.ServiceAccountJSON()}, enc)
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))

	foreign := s.ForeignServiceAccountJSON()
	expectFails(g, map[string][]byte{decrypt.GCPKMSKey: foreign}, enc,
		[]string{"the GCP KMS key " + resource + " failed"}, string(foreign))
	g.Expect(s.Denied()).NotTo(BeZero())
	denied := s.Denied()

	// Without the Secret's credentials nothing is sent, even when the controller's
	// environment has some.
	t.Setenv("GOOGLE_CREDENTIALS", string(s.ServiceAccountJSON()))
	expectFails(g, map[string][]byte{}, enc, []string{"needs credentials: no sops.gcp-kms entry"})
	g.Expect(s.Decrypts()).To(BeEquivalentTo(1))
	g.Expect(s.Denied()).To(Equal(denied))

	_, err = decrypt.NewDecryptor(map[string][]byte{decrypt.GCPKMSKey: []byte(`{"type":"external_account","credential_source":{"file":"/var/run/secrets/token"}}`)})
	g.Expect(err).To(MatchError(ContainSubstring("only credentials of type service_account are supported")))
}
