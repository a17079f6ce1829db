package bucket_test

import (
	"context"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcetest "github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(t *testing.T, obj *sourcev1.Bucket)
		reason  string
		message string
		stalled bool
	}{
		{
			name:    "unreachable endpoint",
			mutate:  func(t *testing.T, obj *sourcev1.Bucket) { obj.Spec.Endpoint = sourcetest.ClosedAddr(t) },
			reason:  sourcev1.BucketOperationFailedReason,
			message: "connection refused",
		},
		{
			name: "wrong credentials",
			mutate: func(t *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.SecretRef.Name = credentialsSecret(t, obj.Namespace, s3, "not-the-secret")
			},
			reason:  sourcev1.BucketOperationFailedReason,
			message: "SignatureDoesNotMatch",
		},
		{
			name:    "bucket missing",
			mutate:  func(_ *testing.T, obj *sourcev1.Bucket) { obj.Spec.BucketName = "no-such-bucket" },
			reason:  sourcev1.BucketOperationFailedReason,
			message: "bucket 'no-such-bucket' not found",
		},
		{
			name:    "credentials secret missing",
			mutate:  func(_ *testing.T, obj *sourcev1.Bucket) { obj.Spec.SecretRef.Name = "absent" },
			reason:  sourcev1.AuthenticationFailedReason,
			message: "/absent': not found",
		},
		{
			name: "TLS settings with a cloud provider",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.Provider = sourcev1.BucketProviderGoogle
				obj.Spec.SecretRef = nil
				obj.Spec.CertSecretRef = &fluxmeta.LocalObjectReference{Name: "certs"}
			},
			reason:  sourcev1.InvalidProviderConfigurationReason,
			message: "spec.certSecretRef is supported for the 'generic' provider only",
			stalled: true,
		},
		{
			name: "azure endpoint with a container",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.Provider = sourcev1.BucketProviderAzure
				obj.Spec.Endpoint = "https://account.blob.core.windows.net/container"
			},
			reason:  sourcev1.URLInvalidReason,
			message: "expected no path: the bucket name is the container",
			stalled: true,
		},
		{
			name: "azure secret without credentials",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.Provider = sourcev1.BucketProviderAzure
				obj.Spec.Endpoint = "https://account.blob.core.windows.net"
			},
			reason:  sourcev1.AuthenticationFailedReason,
			message: "the secret must hold 'tenantId', 'clientId' and 'clientSecret'",
		},
		{
			name:    "endpoint with a path",
			mutate:  func(_ *testing.T, obj *sourcev1.Bucket) { obj.Spec.Endpoint = "https://s3.example.com/bucket" },
			reason:  sourcev1.URLInvalidReason,
			message: "expected only a host and an optional port",
			stalled: true,
		},
		{
			name: "static keys with an STS",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderLDAP, Endpoint: "https://127.0.0.1:1/sts"}
			},
			reason:  sourcev1.InvalidProviderConfigurationReason,
			message: "spec.secretRef cannot be used with spec.sts",
			stalled: true,
		},
		{
			name: "STS secret missing",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.SecretRef = nil
				obj.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderLDAP, Endpoint: "https://127.0.0.1:1/sts",
					SecretRef: &fluxmeta.LocalObjectReference{Name: "absent"}}
			},
			reason:  sourcev1.AuthenticationFailedReason,
			message: "/absent': not found",
		},
		{
			name: "service account of provider gcp missing",
			mutate: func(_ *testing.T, obj *sourcev1.Bucket) {
				obj.Spec.Provider, obj.Spec.Endpoint, obj.Spec.SecretRef = sourcev1.BucketProviderGoogle, "storage.googleapis.com", nil
				obj.Spec.ServiceAccountName = "reader"
			},
			reason:  sourcev1.AuthenticationFailedReason,
			message: `/reader': serviceaccounts "reader" not found`,
		},
	}
	name := newS3Bucket(t, s3, map[string]string{"a.yaml": "a"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, env.Client)
			obj := newBucket(t, ns, name)
			tt.mutate(t, obj)
			bkt := create(t, obj)
			obj = statuscheck.NotReady(t, env.Client, bkt, tt.reason, tt.message)
			g.Expect(conditions.IsTrue(obj, fluxmeta.StalledCondition)).To(Equal(tt.stalled))
			g.Expect(conditions.IsTrue(obj, fluxmeta.ReconcilingCondition)).To(Equal(!tt.stalled), "a transient failure is retried")
			if !tt.stalled {
				g.Expect(conditions.IsTrue(obj, sourcev1.FetchFailedCondition)).To(BeTrue())
			}
			g.Expect(obj.Status.Artifact).To(BeNil())
			g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
		})
	}
}

func TestFailureKeepsLastGoodArtifact(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	bkt, obj := readyBucket(t, map[string]string{"a.yaml": "a"})
	name := obj.Spec.BucketName
	good := obj.Status.Artifact.DeepCopy()

	obj.Spec.BucketName = "gone-bucket"
	g.Expect(env.Client.Update(ctx, obj)).To(Succeed())
	obj = statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "bucket 'gone-bucket' not found")
	g.Expect(obj.Status.Artifact).To(Equal(good))
	g.Expect(conditions.IsTrue(obj, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	resp, err := http.Get(good.URL)
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK), "the last good artifact is still served")
	g.Eventually(func() []string { return statuscheck.Events(t, env.Client, bkt, sourcev1.BucketKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("bucket 'gone-bucket' not found")))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	// Mended, the Bucket is Ready again.
	obj.Spec.BucketName = name
	g.Expect(env.Client.Update(ctx, obj)).To(Succeed())
	obj = statuscheck.Ready(t, env.Client, bkt)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(good.Revision))
	g.Expect(conditions.Get(obj, sourcev1.FetchFailedCondition)).To(BeNil())
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestIncompleteCredentialsSecret(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "half"}, Data: map[string][]byte{"accesskey": []byte("a")}}
	g.Expect(env.Client.Create(context.Background(), secret)).To(Succeed())
	obj := newBucket(t, ns, "any-bucket")
	obj.Spec.SecretRef.Name = secret.Name
	bkt := create(t, obj)
	obj = statuscheck.NotReady(t, env.Client, bkt, sourcev1.AuthenticationFailedReason, "must hold both 'accesskey' and 'secretkey'")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}
