package decrypt_test

import (
	"testing"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/vaultserver"
)

// BenchmarkDecryptFile measures one document's decryption per key type, with one Decryptor
// (as one build), against the local servers: the cost of the key source and its round trips
// on 127.0.0.1, not of the real services.
func BenchmarkDecryptFile(b *testing.B) {
	id, pgpKey := sopstest.NewIdentity(b), sopstest.NewPGPKey(b)
	vault, err := vaultserver.New(vaultserver.Options{Token: "t"})
	if err != nil {
		b.Fatal(err)
	}
	defer vault.Close()
	aws, err := awsapi.New(awsapi.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "s"})
	if err != nil {
		b.Fatal(err)
	}
	defer aws.Close()
	principal := azureapi.Principal{TenantID: "tenant", ClientID: "c", ClientSecret: "s"}
	gcp, err := gcpapi.New("bench@p.iam.gserviceaccount.com")
	if err != nil {
		b.Fatal(err)
	}
	defer gcp.Close()
	cases := []struct {
		name string
		key  func(b *testing.B) sopstest.Key
		keys map[string][]byte
	}{
		{"age", func(*testing.B) sopstest.Key { return sopstest.Age(id.Recipient) }, map[string][]byte{"a.agekey": []byte(id.Secret)}},
		{"pgp", func(*testing.B) sopstest.Key { return pgpKey.Key() }, map[string][]byte{"a.asc": []byte(pgpKey.Armored)}},
		{"vault", func(*testing.B) sopstest.Key { return sopstest.Vault(vault, "transit", "k") }, map[string][]byte{decrypt.VaultTokenKey: []byte("t")}},
		{"aws", func(b *testing.B) sopstest.Key {
			b.Setenv(decrypt.TestAWSKMSEndpointEnv, aws.URL())
			b.Setenv("AWS_CA_BUNDLE", "")
			return sopstest.AWSKMS(aws, "arn:aws:kms:us-east-1:123456789012:key/k", "", nil)
		}, map[string][]byte{decrypt.AWSKMSKey: []byte("aws_access_key_id: AKIDBENCH\naws_secret_access_key: s\n")}},
		{"azure", nil, map[string][]byte{decrypt.AzureKVKey: []byte(`{"tenantId":"tenant","clientId":"c","clientSecret":"s"}`)}},
		{"gcp", func(b *testing.B) sopstest.Key {
			b.Setenv(decrypt.TestGCPKMSEndpointEnv, gcp.URL())
			return sopstest.GCPKMS(gcp, "projects/p/locations/l/keyRings/r/cryptoKeys/k")
		}, map[string][]byte{decrypt.GCPKMSKey: gcp.ServiceAccountJSON()}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			key := c.key
			if c.name == "azure" {
				cert := sopstest.TrustedCertificate(b)
				azure, err := azureapi.New(principal, cert)
				if err != nil {
					b.Fatal(err)
				}
				defer azure.Close()
				b.Setenv(decrypt.TestAzureAuthorityEnv, azure.URL())
				key = func(*testing.B) sopstest.Key { return sopstest.AzureKV(azure, "k", "v") }
			}
			enc := sopstest.EncryptFor(b, "app.yaml", []byte(providerPlain), "", key(b))
			d, err := decrypt.NewDecryptor(c.keys)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := d.DecryptFile("app.yaml", enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
