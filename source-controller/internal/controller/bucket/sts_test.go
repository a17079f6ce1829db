package bucket_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// stsFront puts an S3Front of the STS of srv in front of the suite's S3 server: it accepts
// only the temporary credentials of role that srv handed out.
func stsFront(t *testing.T, srv *awsapi.Server, role string) *awsapi.S3Front {
	t.Helper()
	f, err := srv.S3Front(awsapi.S3Backend{URL: s3.URL, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	f.RequireRole(role)
	return f
}

// newSecret creates a Secret of data in ns and returns its reference.
func newSecret(t *testing.T, ns, name string, data map[string][]byte) *fluxmeta.LocalObjectReference {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if err := env.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return &fluxmeta.LocalObjectReference{Name: name}
}

// TestSTSLDAP reads a bucket with the temporary credentials that MinIO's STS
// (AssumeRoleWithLDAPIdentity, over HTTPS trusted through spec.sts.certSecretRef) gives the
// LDAP user of spec.sts.secretRef: the S3 endpoint accepts nothing else, not even the
// server's static keys. A wrong password and a missing CA fail the fetch, and a Secret
// without the password fails the credentials.
func TestSTSLDAP(t *testing.T) {
	ca, pair := pki.NewServer(t)
	srv, err := awsapi.NewTLS(awsapi.Credentials{AccessKeyID: "AKIALDAPTEST", SecretAccessKey: "sts-root-secret"}, pair.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AllowLDAPIdentity("alice", "wonderland")
	front := stsFront(t, srv, awsapi.LDAPRole("alice"))
	objects := map[string]string{"a.yaml": "a", "dir/b.yaml": "b"}
	name := newS3Bucket(t, s3, objects)

	ldapBucket := func(t *testing.T, ns, password string, withCA bool) *sourcev1.Bucket {
		sts := &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderLDAP, Endpoint: srv.URL(),
			SecretRef: newSecret(t, ns, "ldap", map[string][]byte{"username": []byte("alice"), "password": []byte(password)})}
		if withCA {
			sts.CertSecretRef = newSecret(t, ns, "ldap-ca", map[string][]byte{"ca.crt": ca.CertPEM})
		}
		obj := newBucket(t, ns, name)
		obj.Spec.Endpoint, obj.Spec.SecretRef, obj.Spec.STS = front.Endpoint(), nil, sts
		return create(t, obj)
	}

	t.Run("ldap user", func(t *testing.T) {
		g := NewWithT(t)
		obj := statuscheck.Ready(t, env.Client, ldapBucket(t, testenv.NewNamespace(t, env.Client), "wonderland", true))
		g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(objects))
		g.Expect(front.Accepted(awsapi.LDAPRole("alice"))).To(BeNumerically(">", 0))
		g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("static keys are refused by the endpoint", func(t *testing.T) {
		obj := newBucket(t, testenv.NewNamespace(t, env.Client), name)
		obj.Spec.Endpoint = front.Endpoint()
		obj = statuscheck.NotReady(t, env.Client, create(t, obj), sourcev1.BucketOperationFailedReason, "(AccessDenied)")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("wrong password", func(t *testing.T) {
		obj := statuscheck.NotReady(t, env.Client, ldapBucket(t, testenv.NewNamespace(t, env.Client), "looking-glass", true),
			sourcev1.BucketOperationFailedReason, "LDAP server error: invalid username or password")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("STS CA missing", func(t *testing.T) {
		obj := statuscheck.NotReady(t, env.Client, ldapBucket(t, testenv.NewNamespace(t, env.Client), "wonderland", false),
			sourcev1.BucketOperationFailedReason, "certificate signed by unknown authority")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("STS secret without password", func(t *testing.T) {
		ns := testenv.NewNamespace(t, env.Client)
		obj := newBucket(t, ns, name)
		obj.Spec.Endpoint, obj.Spec.SecretRef = front.Endpoint(), nil
		obj.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderLDAP, Endpoint: srv.URL(),
			SecretRef: newSecret(t, ns, "ldap", map[string][]byte{"username": []byte("alice")})}
		obj = statuscheck.NotReady(t, env.Client, create(t, obj), sourcev1.AuthenticationFailedReason, "must hold both 'username' and 'password'")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
}

// TestSTSAWS reads a bucket of provider aws with the controller's web identity (IRSA)
// exchanged at the STS of spec.sts.endpoint (AssumeRoleWithWebIdentity), the only STS that
// knows it: the environment's STS endpoint is closed, and the S3 endpoint accepts only the
// role's temporary credentials.
func TestSTSAWS(t *testing.T) {
	g := NewWithT(t)
	c := cloudtest.AWS(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://"+sourcetest.ClosedAddr(t))
	front := stsFront(t, c.AWS, cloudtest.RoleARN)
	objects := map[string]string{"a.yaml": "a"}
	obj := newBucket(t, testenv.NewNamespace(t, env.Client), newS3Bucket(t, s3, objects))
	obj.Spec.Provider, obj.Spec.Endpoint, obj.Spec.SecretRef = sourcev1.BucketProviderAmazon, front.Endpoint(), nil
	obj.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderAmazon, Endpoint: c.AWS.URL()}
	obj = statuscheck.Ready(t, env.Client, create(t, obj))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(objects))
	g.Expect(front.Accepted(cloudtest.RoleARN)).To(BeNumerically(">", 0))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}
