package kustomization

import (
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
)

// kmsKey is an AWS KMS key ARN of us-east-2 named id.
func kmsKey(id string) string { return "arn:aws:kms:us-east-2:012345678901:key/" + id }

// withDecryptionSA names the ServiceAccount of spec.decryption.serviceAccountName.
func withDecryptionSA(name string) func(*kustomizev1.Kustomization) {
	return func(k *kustomizev1.Kustomization) { k.Spec.Decryption.ServiceAccountName = name }
}

// inNamespace creates, in a new namespace, the ServiceAccount name with the annotations
// that annotate returns for the namespace (none when nil), and a Kustomization decrypting
// enc with no decryption Secret, changed by mutate; it returns the Kustomization.
func inNamespace(t *testing.T, name string, annotate func(ns string) map[string]string, enc []byte,
	mutate func(*kustomizev1.Kustomization)) (string, *kustomizev1.Kustomization) {
	t.Helper()
	ns := testenv.NewNamespace(t, env.Client)
	if annotate != nil {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotate(ns)}}
		if err := env.Client.Create(ctxT(t), sa); err != nil {
			t.Fatal(err)
		}
	}
	a := publish(t, ns, rev(1), map[string]string{"secret.yaml": string(enc), "cm.yaml": configMap("plain", "v")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Decryption = &kustomizev1.Decryption{Provider: "sops"}
		if mutate != nil {
			mutate(k)
		}
	})
	return ns, k
}

// decryptedIn checks that k becomes Ready having applied the decrypted Secret in ns.
func decryptedIn(t *testing.T, ns string, k *kustomizev1.Kustomization) {
	t.Helper()
	readyAt(t, k, rev(1))
	var s corev1.Secret
	g := NewWithT(t)
	g.Expect(env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "db"}, &s)).To(Succeed())
	g.Expect(string(s.Data["password"])).To(Equal("s3cr3t"))
}

// notDecrypted checks that k is Ready=False (BuildFailed) with each of msgs and applied
// nothing in ns.
func notDecrypted(t *testing.T, ns string, k *kustomizev1.Kustomization, msgs ...string) {
	t.Helper()
	k = statuscheck.NotReady(t, env.Client, k, fluxmeta.BuildFailedReason, msgs[0])
	g := NewWithT(t)
	for _, m := range msgs[1:] {
		g.Expect(readyMessage(k)).To(ContainSubstring(m))
	}
	g.Expect(object(t, "v1", "Secret", ns, "db")).To(BeNil())
	g.Expect(object(t, "v1", "ConfigMap", ns, "plain")).To(BeNil())
}

// awsIdentity sets up the controller's IRSA identity (cloudtest.RoleARN) and points the KMS
// key source at its local AWS server; it returns a document encrypted for a key that only
// the role of a ServiceAccount (cloudtest.TenantRoleARN) may use, and one for a key that only
// the controller's role may use.
func awsIdentity(t *testing.T) (c *cloudtest.Cloud, forTenant, forController []byte) {
	t.Helper()
	c = cloudtest.AWS(t)
	t.Setenv(decrypt.TestAWSKMSEndpointEnv, c.AWS.URL())
	t.Setenv("AWS_CA_BUNDLE", "")
	tenantKey, controllerKey := kmsKey("tenant"), kmsKey("controller")
	c.AWS.RequireRole(tenantKey, cloudtest.TenantRoleARN)
	c.AWS.RequireRole(controllerKey, cloudtest.RoleARN)
	forTenant = sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", sopstest.AWSKMS(c.AWS, tenantKey, "", nil))
	forController = sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", sopstest.AWSKMS(c.AWS, controllerKey, "", nil))
	return c, forTenant, forController
}

// awsServiceAccount returns the annotations of a ServiceAccount "decrypter" whose genuine
// tokens (TokenReview) alone assume cloudtest.TenantRoleARN.
func awsServiceAccount(c *cloudtest.Cloud) func(ns string) map[string]string {
	return func(ns string) map[string]string {
		c.AWS.AllowWebIdentityFunc(cloudtest.TenantRoleARN, cloudtest.Review(env.Client, cloud.AWSAudience, ns, "decrypter"))
		return map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}
	}
}

// TestDecryptionServiceAccountAWS decrypts, with the IAM role of
// spec.decryption.serviceAccountName (which STS gives only for that ServiceAccount's genuine
// tokens), a key that only that role may use; without it the controller's own role (IRSA)
// decrypts what only it may use, and is refused the other key.
func TestDecryptionServiceAccountAWS(t *testing.T) {
	c, forTenant, forController := awsIdentity(t)
	ns, k := inNamespace(t, "decrypter", awsServiceAccount(c), forTenant, withDecryptionSA("decrypter"))
	decryptedIn(t, ns, k)

	ns, k = inNamespace(t, "decrypter", nil, forController, nil)
	decryptedIn(t, ns, k)

	ns, k = inNamespace(t, "decrypter", nil, forTenant, nil)
	notDecrypted(t, ns, k, "AccessDeniedException")

	// A ServiceAccount without the role annotation fails, naming it; another namespace's
	// tokens do not assume the role.
	ns, k = inNamespace(t, "plain", func(string) map[string]string { return nil }, forTenant, withDecryptionSA("plain"))
	notDecrypted(t, ns, k, "ServiceAccount '"+ns+"/plain' has no annotation "+cloud.AWSRoleARNAnnotation)
	ns, k = inNamespace(t, "decrypter", func(string) map[string]string {
		return map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}
	}, forTenant, withDecryptionSA("decrypter"))
	notDecrypted(t, ns, k, "ServiceAccount '"+ns+"/decrypter'")
}

// TestDecryptionServiceAccountAzure decrypts, with the Entra ID application of
// spec.decryption.serviceAccountName (whose federated credential trusts only that
// ServiceAccount's genuine tokens), a Key Vault key only that application may use; the
// controller's own workload identity is refused it.
func TestDecryptionServiceAccountAzure(t *testing.T) {
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	t.Setenv(decrypt.TestCAFileEnv, os.Getenv(cloud.TestCAFileEnv))
	authority.RequireKeyClient(cloudtest.TenantClientID)
	enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", sopstest.AzureKV(authority, "sops", "tenant"))

	ns, k := inNamespace(t, "decrypter", func(ns string) map[string]string {
		return cloudtest.AzureServiceAccount(t, authority, env.Client, ns, "decrypter")
	}, enc, withDecryptionSA("decrypter"))
	decryptedIn(t, ns, k)

	ns, k = inNamespace(t, "decrypter", nil, enc, nil)
	notDecrypted(t, ns, k, "Forbidden")
}

// TestDecryptionControllerIdentityGCP decrypts with the controller's Google identity (the
// GKE metadata server); spec.decryption.serviceAccountName naming a ServiceAccount without
// the annotations of a Google identity fails naming the workload identity provider
// annotation, rather than fall back to the controller's identity.
func TestDecryptionControllerIdentityGCP(t *testing.T) {
	kms, err := gcpapi.New("sops@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	defer kms.Close()
	md := gcpapi.NewMetadata(t, "kustomize-controller@ferry-test.iam.gserviceaccount.com")
	kms.AcceptTokens(md.Valid)
	t.Setenv(decrypt.TestGCPKMSEndpointEnv, kms.URL())
	t.Setenv("GCE_METADATA_HOST", md.Host())
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$",
		sopstest.GCPKMS(kms, "projects/ferry-test/locations/global/keyRings/sops/cryptoKeys/controller"))

	ns, k := inNamespace(t, "decrypter", nil, enc, nil)
	decryptedIn(t, ns, k)

	ns, k = inNamespace(t, "decrypter", func(string) map[string]string { return nil }, enc, withDecryptionSA("decrypter"))
	notDecrypted(t, ns, k, "ServiceAccount '"+ns+"/decrypter' has no annotation "+cloud.GCPWorkloadIdentityProviderAnnotation)
}

// TestDecryptionServiceAccountGCP decrypts, with the Google service account that
// spec.decryption.serviceAccountName impersonates through its workload identity provider
// (the Security Token Service trusts only genuine tokens, checked by TokenReview, and only
// that ServiceAccount may impersonate the account), a Cloud KMS key that only that account
// may use; the controller's own identity (the metadata server) is refused it.
func TestDecryptionServiceAccountGCP(t *testing.T) {
	c := cloudtest.GCP(t)
	t.Setenv(decrypt.TestGCPKMSEndpointEnv, c.Google.URL())
	c.Google.AcceptTokens(c.GCP.Valid)
	c.Google.RequirePrincipal(cloudtest.TenantGoogleServiceAccount)
	enc := sopstest.EncryptFor(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$",
		sopstest.GCPKMS(c.Google, "projects/ferry-test/locations/global/keyRings/sops/cryptoKeys/tenant"))

	ns, k := inNamespace(t, "decrypter", func(ns string) map[string]string {
		return cloudtest.GoogleServiceAccount(t, c.Google, env.Client, ns, "decrypter")
	}, enc, withDecryptionSA("decrypter"))
	decryptedIn(t, ns, k)
	NewWithT(t).Expect(c.Google.Impersonations()).To(BeNumerically(">", 0))

	ns, k = inNamespace(t, "decrypter", nil, enc, nil)
	notDecrypted(t, ns, k, "Request had invalid authentication credentials")
}

// TestDefaultDecryptionServiceAccount: with --default-decryption-service-account, a
// Kustomization that names no ServiceAccount decrypts with that ServiceAccount of its own
// namespace, and never with the controller's identity, even for a key the controller may
// use; one that names a ServiceAccount uses it.
func TestDefaultDecryptionServiceAccount(t *testing.T) {
	c, forTenant, forController := awsIdentity(t)
	startController(t, "lockdown", "--default-decryption-service-account=decrypter")
	shard := func(k *kustomizev1.Kustomization) { k.Labels = map[string]string{shardLabel: "lockdown"} }

	ns, k := inNamespace(t, "decrypter", awsServiceAccount(c), forTenant, shard)
	decryptedIn(t, ns, k)

	ns, k = inNamespace(t, "decrypter", nil, forController, shard)
	notDecrypted(t, ns, k, "failed to get ServiceAccount '"+ns+"/decrypter'")

	ns, k = inNamespace(t, "decrypter", awsServiceAccount(c), forController, shard)
	notDecrypted(t, ns, k, "AccessDeniedException")

	ns, k = inNamespace(t, "other", nil, forTenant, func(k *kustomizev1.Kustomization) {
		shard(k)
		k.Spec.Decryption.ServiceAccountName = "other"
	})
	notDecrypted(t, ns, k, "failed to get ServiceAccount '"+ns+"/other'")
}

// TestDecryptionServiceAccountGateOff: with the feature gate ObjectLevelWorkloadIdentity
// off, spec.decryption.serviceAccountName stalls the Kustomization, naming the gate.
func TestDecryptionServiceAccountGateOff(t *testing.T) {
	startController(t, "gateoff", "--feature-gates=ObjectLevelWorkloadIdentity=false")
	enc := sopstest.Encrypt(t, "secret.yaml", []byte(sopsSecretManifest), "^(data|stringData)$", sopstest.NewIdentity(t).Recipient)
	ns, k := inNamespace(t, "decrypter", nil, enc, func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{shardLabel: "gateoff"}
		k.Spec.Decryption.ServiceAccountName = "decrypter"
	})
	k = statuscheck.Stalled(t, env.Client, k, fluxmeta.FeatureGateDisabledReason,
		"start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
	g := NewWithT(t)
	g.Expect(readyMessage(k)).To(ContainSubstring("spec.decryption.serviceAccountName"))
	g.Expect(object(t, "v1", "ConfigMap", ns, "plain")).To(BeNil())
	g.Expect(strings.Contains(readyMessage(k), "not supported by Ferry")).To(BeFalse())
}
