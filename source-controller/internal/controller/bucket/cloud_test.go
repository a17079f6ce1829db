package bucket_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// trustedCert issues a server certificate for 127.0.0.1 of a new CA that the code under
// test trusts, through the CA hook of shared/cloud, besides the CAs it already trusts.
func trustedCert(t *testing.T) *tls.Certificate {
	t.Helper()
	c := pki.TrustedServer(t, cloud.TestCAFileEnv)
	return &c
}

// cloudBucket returns a Bucket of provider reading bucketName at endpoint, with a Secret of
// data when it is not nil.
func cloudBucket(t *testing.T, ns, provider, endpoint, bucketName string, data map[string][]byte) *sourcev1.Bucket {
	t.Helper()
	obj := &sourcev1.Bucket{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: provider},
		Spec: sourcev1.BucketSpec{Provider: provider, BucketName: bucketName, Endpoint: endpoint,
			Interval: metav1.Duration{Duration: time.Hour}},
	}
	if data != nil {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: provider + "-credentials-"}, Data: data}
		if err := env.Client.Create(context.Background(), secret); err != nil {
			t.Fatal(err)
		}
		obj.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: secret.Name}
	}
	return obj
}

// checkFollows checks that a Ready Bucket holds want, then that a changed object gives a new
// artifact for which only that object is downloaded again (gets counts the downloads).
func checkFollows(t *testing.T, bkt *sourcev1.Bucket, want map[string]string, change func(), gets func() map[string]int) {
	t.Helper()
	g := NewWithT(t)
	obj := statuscheck.Ready(t, env.Client, bkt)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(want))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
	first, before := obj.Status.Artifact, gets()

	change()
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(obj.Status.Artifact.Revision).NotTo(Equal(first.Revision))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(HaveKeyWithValue("a.yaml", "a2"))
	after := gets()
	g.Expect(after["a.yaml"]).To(Equal(before["a.yaml"] + 1))
	g.Expect(after["dir/b.yaml"]).To(Equal(before["dir/b.yaml"]), "unchanged objects must not be downloaded again")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestAzureProvider(t *testing.T) {
	cert := trustedCert(t)
	objects := map[string]string{"a.yaml": "a", "dir/b.yaml": "b", ".sourceignore": "*.md\n", "README.md": "x"}
	want := map[string]string{"a.yaml": "a", "dir/b.yaml": "b"}
	b := azureapi.NewBlob(t, azureapi.BlobOptions{Cert: cert, PageSize: 1})
	tests := []struct {
		name   string
		secret func(container string) map[string][]byte
	}{
		{"account key", func(string) map[string][]byte { return map[string][]byte{"accountKey": []byte(b.Key())} }},
		{"SAS token", func(c string) map[string][]byte {
			return map[string][]byte{"sasKey": []byte(b.ContainerSAS(c, "rl", time.Now().Add(time.Hour)))}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := testenv.NewNamespace(t, env.Client)
			container := unsafe(ns)
			b.PutBlobs(container, objects)
			bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderAzure, b.URL(), container, tt.secret(container)))
			checkFollows(t, bkt, want, func() { b.PutBlobs(container, map[string]string{"a.yaml": "a2"}) },
				func() map[string]int { return b.Gets(container) })
		})
	}

	t.Run("wrong account key", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		b.PutBlobs("wrong", objects)
		other := azureapi.NewBlob(t, azureapi.BlobOptions{})
		bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderAzure, b.URL(), "wrong", map[string][]byte{"accountKey": []byte(other.Key())}))
		obj := statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason,
			"failed to confirm existence of bucket 'wrong': Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature (AuthenticationFailed)")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})

	t.Run("container missing", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderAzure, b.URL(), "absent", map[string][]byte{"accountKey": []byte(b.Key())}))
		obj := statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "bucket 'absent' not found")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
}

// TestAzureControllerIdentity reads a container with the controller's workload identity,
// the only credential the account accepts, when the Bucket has no spec.secretRef.
func TestAzureControllerIdentity(t *testing.T) {
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	b := azureapi.NewBlob(t, azureapi.BlobOptions{Cert: trustedCert(t), Entra: authority})
	b.PutBlobs("c", map[string]string{"a.yaml": "a"})
	ns := testenv.NewNamespace(t, env.Client)
	obj := statuscheck.Ready(t, env.Client, create(t, cloudBucket(t, ns, sourcev1.BucketProviderAzure, b.URL(), "c", nil)))
	NewWithT(t).Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestGCPProvider(t *testing.T) {
	s, err := gcpapi.New("bucket-reader@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.SetPageSize(1)
	objects := map[string]string{"a.yaml": "a", "dir/b.yaml": "b", ".sourceignore": "*.md\n", "README.md": "x"}

	t.Run("service account key", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		name := unsafe(ns)
		s.PutObjects(name, objects)
		bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderGoogle, s.URL(), name, map[string][]byte{"serviceaccount": s.ServiceAccountJSON()}))
		checkFollows(t, bkt, map[string]string{"a.yaml": "a", "dir/b.yaml": "b"}, func() { s.PutObjects(name, map[string]string{"a.yaml": "a2"}) },
			func() map[string]int { return s.ObjectGets(name) })
	})

	t.Run("key the server does not trust", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		s.PutObjects("foreign", objects)
		bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderGoogle, s.URL(), "foreign", map[string][]byte{"serviceaccount": s.ForeignServiceAccountJSON()}))
		obj := statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason,
			"failed to confirm existence of bucket 'foreign': failed to get an access token of the service account: Invalid JWT Signature (invalid_grant)")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})

	t.Run("bucket missing", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		bkt := create(t, cloudBucket(t, ns, sourcev1.BucketProviderGoogle, s.URL(), "absent", map[string][]byte{"serviceaccount": s.ServiceAccountJSON()}))
		obj := statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "bucket 'absent' not found")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})

	// Without spec.secretRef, the controller's Application Default Credentials: here a
	// metadata server, whose tokens the storage accepts.
	t.Run("controller identity", func(t *testing.T) {
		id := cloudtest.GCP(t)
		s.AcceptTokens(id.GCP.Valid)
		ns := testenv.NewNamespace(t, env.Client)
		s.PutObjects("adc", map[string]string{"a.yaml": "a"})
		obj := statuscheck.Ready(t, env.Client, create(t, cloudBucket(t, ns, sourcev1.BucketProviderGoogle, s.URL(), "adc", nil)))
		NewWithT(t).Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
}
