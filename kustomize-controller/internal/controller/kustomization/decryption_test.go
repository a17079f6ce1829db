package kustomization

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/shared/testing/vaultserver"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
)

// sopsSecretManifest is the Secret that the decryption tests encrypt.
const sopsSecretManifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: s3cr3t\n"

// decryptionCase creates, in a new namespace, a decryption Secret "keys" holding data (none
// when nil) and a Kustomization of a source holding enc (the encrypted Secret) and a plain
// ConfigMap, decrypting with provider sops; mutate changes the Kustomization.
func decryptionCase(t *testing.T, data map[string][]byte, enc []byte,
	mutate func(*kustomizev1.Kustomization)) (string, *kustomizev1.Kustomization, fluxmeta.Artifact) {
	t.Helper()
	ns := testenv.NewNamespace(t, env.Client)
	dec := &kustomizev1.Decryption{Provider: "sops"}
	if data != nil {
		if err := env.Client.Create(ctxT(t), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "keys"}, Data: data,
		}); err != nil {
			t.Fatal(err)
		}
		dec.SecretRef = &fluxmeta.LocalObjectReference{Name: "keys"}
	}
	a := publish(t, ns, rev(1), map[string]string{"secret.yaml": string(enc), "cm.yaml": configMap("plain", "v")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Decryption = dec
		if mutate != nil {
			mutate(k)
		}
	})
	return ns, k, a
}

// appliedWith checks that a Kustomization decrypting enc with the keys (none when nil)
// becomes Ready and applies the decrypted Secret.
func appliedWith(t *testing.T, keys map[string][]byte, enc []byte, mutate func(*kustomizev1.Kustomization)) {
	t.Helper()
	ns, k, a := decryptionCase(t, keys, enc, mutate)
	readyAt(t, k, a.Revision)
	g := NewWithT(t)
	var s corev1.Secret
	g.Expect(env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "db"}, &s)).To(Succeed())
	g.Expect(string(s.Data["password"])).To(Equal("s3cr3t"))
	g.Expect(object(t, "v1", "Secret", ns, "db").Object).NotTo(HaveKey("sops"))
}

// refusedWith checks that a Kustomization decrypting enc with the keys is Ready=False
// (BuildFailed) with msg and applies none of its objects; it returns the Kustomization.
func refusedWith(t *testing.T, keys map[string][]byte, enc []byte, msg string,
	mutate func(*kustomizev1.Kustomization)) *kustomizev1.Kustomization {
	t.Helper()
	ns, k, _ := decryptionCase(t, keys, enc, mutate)
	k = statuscheck.NotReady(t, env.Client, k, fluxmeta.BuildFailedReason, msg)
	g := NewWithT(t)
	g.Expect(object(t, "v1", "Secret", ns, "db")).To(BeNil())
	g.Expect(object(t, "v1", "ConfigMap", ns, "plain")).To(BeNil())
	g.Expect(k.Status.Inventory).To(BeNil())
	return k
}

func TestDecryptionPGP(t *testing.T) {
	key, other := sopstest.NewPGPKey(t), sopstest.NewPGPKey(t)
	enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", key.Key())

	appliedWith(t, map[string][]byte{"sops.asc": []byte(key.Armored)}, enc, nil)
	refusedWith(t, map[string][]byte{"sops.asc": []byte(other.Armored)}, enc,
		"no OpenPGP key of the decryption Secret (entries ending in .asc) has the fingerprint "+key.Fingerprint, nil)
}

func TestDecryptionVault(t *testing.T) {
	vault, err := vaultserver.New(vaultserver.Options{Token: "s.vault-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer vault.Close()
	enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", sopstest.Vault(vault, "transit", "ferry"))

	appliedWith(t, map[string][]byte{decrypt.VaultTokenKey: []byte("s.vault-token")}, enc, nil)
	k := refusedWith(t, map[string][]byte{decrypt.VaultTokenKey: []byte("s.other-token")}, enc, "permission denied", nil)
	NewWithT(t).Expect(readyMessage(k)).NotTo(ContainSubstring("s.other-token"))
}

func TestSOPSAgeSecretFlag(t *testing.T) {
	g := NewWithT(t)
	controllerNS := testenv.NewNamespace(t, env.Client)
	global, own := sopstest.NewIdentity(t), sopstest.NewIdentity(t)
	g.Expect(env.Client.Create(ctxT(t), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: "sops-age"},
		Data:       map[string][]byte{"fallback.agekey": []byte(global.Secret)},
	})).To(Succeed())
	startController(t, "agesecret", "--sops-age-secret="+controllerNS+"/sops-age")
	shard := func(k *kustomizev1.Kustomization) { k.Labels = map[string]string{shardLabel: "agesecret"} }
	forGlobal := sopstest.Encrypt(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", global.Recipient)

	// Without a decryption Secret of its own, and beside one holding another key.
	appliedWith(t, nil, forGlobal, shard)
	appliedWith(t, map[string][]byte{"own.agekey": []byte(own.Secret)}, forGlobal, shard)

	// The Kustomization's own keys still decrypt.
	forOwn := sopstest.Encrypt(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", own.Recipient)
	appliedWith(t, map[string][]byte{"own.agekey": []byte(own.Secret)}, forOwn, shard)

	// A controller without the flag does not have the global key.
	refusedWith(t, map[string][]byte{"own.agekey": []byte(own.Secret)}, forGlobal,
		"no age identity of the decryption Secret matches the age recipient "+global.Recipient, nil)
}

func TestDecryptionCloudKMS(t *testing.T) {
	// The test hooks of package decrypt point the key sources of the suite's controller
	// at the local servers.
	cert := sopstest.TrustedCertificate(t)
	t.Setenv("AWS_CA_BUNDLE", "")

	creds := awsapi.Credentials{AccessKeyID: "AKIAFERRYSUITE", SecretAccessKey: "suite-secret-key"}
	aws, err := awsapi.New(creds)
	if err != nil {
		t.Fatal(err)
	}
	defer aws.Close()
	t.Setenv(decrypt.TestAWSKMSEndpointEnv, aws.URL())
	principal := azureapi.Principal{TenantID: "b2c3d4e5-0000-4000-8000-000000000002", ClientID: "suite-client", ClientSecret: "suite-client-secret"}
	azure, err := azureapi.New(principal, cert)
	if err != nil {
		t.Fatal(err)
	}
	defer azure.Close()
	t.Setenv(decrypt.TestAzureAuthorityEnv, azure.URL())
	gcp, err := gcpapi.New("suite@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	defer gcp.Close()
	t.Setenv(decrypt.TestGCPKMSEndpointEnv, gcp.URL())

	tests := []struct {
		name  string
		key   sopstest.Key
		entry string
		value []byte
	}{
		{"aws", sopstest.AWSKMS(aws, "arn:aws:kms:us-east-2:123456789012:alias/sops", "", nil), decrypt.AWSKMSKey,
			[]byte("aws_access_key_id: " + creds.AccessKeyID + "\naws_secret_access_key: " + creds.SecretAccessKey + "\n")},
		{"azure", sopstest.AzureKV(azure, "sops", "1"), decrypt.AzureKVKey,
			[]byte("tenantId: " + principal.TenantID + "\nclientId: " + principal.ClientID + "\nclientSecret: " + principal.ClientSecret + "\n")},
		{"gcp", sopstest.GCPKMS(gcp, "projects/p/locations/global/keyRings/r/cryptoKeys/k"), decrypt.GCPKMSKey, gcp.ServiceAccountJSON()},
	}
	// Without the Secret's credentials a cloud identity would be used: a controller locked
	// down to --default-decryption-service-account, with object-level workload identity off,
	// has none, and says so.
	startController(t, "locked", "--default-decryption-service-account=decrypter", "--feature-gates=ObjectLevelWorkloadIdentity=false")
	locked := func(k *kustomizev1.Kustomization) { k.Labels = map[string]string{shardLabel: "locked"} }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", tt.key)
			appliedWith(t, map[string][]byte{tt.entry: tt.value}, enc, nil)
			refusedWith(t, map[string][]byte{"unrelated": []byte("x")}, enc, "needs credentials: no "+tt.entry+" entry in the decryption Secret, "+
				"and the controller's cloud identity is not used with --default-decryption-service-account", locked)
		})
	}
	g := NewWithT(t)
	g.Expect(aws.Decrypts()).NotTo(BeZero())
	g.Expect(azure.Decrypts()).NotTo(BeZero())
	g.Expect(gcp.Decrypts()).NotTo(BeZero())
}
