package bucket_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	bucketctrl "github.com/ferry-gitops/ferry/source-controller/internal/controller/bucket"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestObjectLevelWorkloadIdentityAWS reads a bucket of provider aws with the IAM role of
// spec.serviceAccountName (feature gate ObjectLevelWorkloadIdentity, on in the suite), which
// STS gives only for the ServiceAccount's genuine tokens (checked by the API server's
// TokenReview); the S3 endpoint accepts only that role's temporary credentials. STS is the
// environment's, or spec.sts.endpoint when set. A ServiceAccount without the annotation
// fails naming it; a controller with the gate off stalls the object naming the gate.
func TestObjectLevelWorkloadIdentityAWS(t *testing.T) {
	c := cloudtest.AWS(t)
	ns := testenv.NewNamespace(t, env.Client)
	c.ServiceAccountIdentity(t, env.Client, ns, "reader")
	NewWithT(t).Expect(env.Client.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
	front := stsFront(t, c.AWS, cloudtest.TenantRoleARN)
	objects := map[string]string{"a.yaml": "a"}
	name := newS3Bucket(t, s3, objects)
	awsBucket := func(objName, sa string) *sourcev1.Bucket {
		obj := newBucket(t, ns, name)
		obj.Name, obj.Spec.Provider, obj.Spec.Endpoint, obj.Spec.SecretRef = objName, sourcev1.BucketProviderAmazon, front.Endpoint(), nil
		obj.Spec.ServiceAccountName = sa
		return obj
	}

	g := NewWithT(t)
	tenant := statuscheck.Ready(t, env.Client, create(t, awsBucket("tenant", "reader")))
	g.Expect(artifactFiles(t, tenant.Status.Artifact)).To(Equal(objects))
	g.Expect(front.Accepted(cloudtest.TenantRoleARN)).To(BeNumerically(">", 0))
	g.Expect(conditions.CheckInvariants(tenant)).To(Succeed())

	t.Run("STS of spec.sts.endpoint", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_STS", "http://"+sourcetest.ClosedAddr(t))
		obj := awsBucket("tenant-sts", "reader")
		obj.Spec.STS = &sourcev1.BucketSTSSpec{Provider: sourcev1.STSProviderAmazon, Endpoint: c.AWS.URL()}
		obj = statuscheck.Ready(t, env.Client, create(t, obj))
		NewWithT(t).Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(objects))
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("ServiceAccount without annotation", func(t *testing.T) {
		obj := statuscheck.NotReady(t, env.Client, create(t, awsBucket("plain", "plain")), sourcev1.BucketOperationFailedReason,
			"ServiceAccount '"+ns+"/plain' has no annotation eks.amazonaws.com/role-arn")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("gate off", func(t *testing.T) { gateOff(t, tenant) })
}

// TestObjectLevelWorkloadIdentityAzure reads a container with the Entra ID application of
// spec.serviceAccountName, which the authority gives only for the ServiceAccount's genuine
// tokens; the account accepts only that application's tokens, so the controller's own
// identity is refused.
func TestObjectLevelWorkloadIdentityAzure(t *testing.T) {
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	b := azureapi.NewBlob(t, azureapi.BlobOptions{Entra: authority})
	b.PutBlobs("c", map[string]string{"a.yaml": "a"})
	endpoint := tenantOnly(t, authority, b.URL())
	ns := testenv.NewNamespace(t, env.Client)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "reader",
		Annotations: cloudtest.AzureServiceAccount(t, authority, env.Client, ns, "reader")}}
	NewWithT(t).Expect(env.Client.Create(t.Context(), sa)).To(Succeed())

	obj := cloudBucket(t, ns, sourcev1.BucketProviderAzure, endpoint, "c", nil)
	obj.Spec.ServiceAccountName = "reader"
	obj = statuscheck.Ready(t, env.Client, create(t, obj))
	NewWithT(t).Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())

	controller := cloudBucket(t, ns, sourcev1.BucketProviderAzure, endpoint, "c", nil)
	controller.Name = "controller"
	controller = statuscheck.NotReady(t, env.Client, create(t, controller), sourcev1.BucketOperationFailedReason, "(AuthorizationPermissionMismatch)")
	NewWithT(t).Expect(conditions.CheckInvariants(controller)).To(Succeed())
}

// TestObjectLevelWorkloadIdentityGCP reads a bucket of provider gcp with the Google service
// account that spec.serviceAccountName impersonates, through the workload identity provider
// of its annotations: the Security Token Service trusts only the ServiceAccount's genuine
// tokens (checked by the API server's TokenReview), IAM Credentials lets only that
// ServiceAccount impersonate the account, and Cloud Storage accepts only the account's
// tokens, so that the controller's own identity is refused. A ServiceAccount without the
// annotations fails naming the provider annotation.
func TestObjectLevelWorkloadIdentityGCP(t *testing.T) {
	c := cloudtest.GCP(t)
	ns := testenv.NewNamespace(t, env.Client)
	c.ServiceAccountIdentity(t, env.Client, ns, "reader")
	NewWithT(t).Expect(env.Client.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
	objects := map[string]string{"a.yaml": "a"}
	c.Google.PutObjects("tenant", objects)
	c.Google.AcceptTokens(c.GCP.Valid)
	c.Google.RequirePrincipal(cloudtest.TenantGoogleServiceAccount)
	googleBucket := func(name, sa string) *sourcev1.Bucket {
		obj := cloudBucket(t, ns, sourcev1.BucketProviderGoogle, c.Google.URL(), "tenant", nil)
		obj.Name, obj.Spec.ServiceAccountName = name, sa
		return obj
	}

	g := NewWithT(t)
	tenant := statuscheck.Ready(t, env.Client, create(t, googleBucket("tenant", "reader")))
	g.Expect(artifactFiles(t, tenant.Status.Artifact)).To(Equal(objects))
	g.Expect(c.Google.Impersonations()).To(BeNumerically(">", 0))
	g.Expect(conditions.CheckInvariants(tenant)).To(Succeed())

	t.Run("controller identity refused", func(t *testing.T) {
		obj := statuscheck.NotReady(t, env.Client, create(t, googleBucket("controller", "")), sourcev1.BucketOperationFailedReason,
			"Invalid Credentials (401)")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("ServiceAccount without annotation", func(t *testing.T) {
		obj := statuscheck.NotReady(t, env.Client, create(t, googleBucket("plain", "plain")), sourcev1.BucketOperationFailedReason,
			"ServiceAccount '"+ns+"/plain' has no annotation gcp.auth.fluxcd.io/workload-identity-provider")
		NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
	})
	t.Run("gate off", func(t *testing.T) { gateOff(t, tenant) })
}

// tenantOnly serves the storage account at account over HTTPS (trusted through the CA hook)
// and lets through only requests with a bearer token of cloudtest.TenantClientID; it returns
// the account's URL there.
func tenantOnly(t *testing.T, authority *azureapi.Server, account string) string {
	t.Helper()
	target, err := url.Parse(account)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host})
	}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := authority.TokenClient(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if !ok || client != cloudtest.TenantClientID {
			w.Header().Set("x-ms-error-code", "AuthorizationPermissionMismatch")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*trustedCert(t)}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL + target.Path
}

// gateOff reconciles obj once with a controller whose feature gate ObjectLevelWorkloadIdentity
// is off: the object stalls, naming the gate and how to turn it on.
func gateOff(t *testing.T, obj *sourcev1.Bucket) {
	t.Helper()
	rec, err := events.NewRecorder(env.Config, env.Scheme, "source-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	rt := &reconcile.Runtime{Client: env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	off := bucketctrl.NewReconciler(rt, &sourcecontroller.Deps{Storage: st, Options: &manager.Options{}})
	if _, err := off.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}); err != nil {
		t.Fatal(err)
	}
	obj = statuscheck.Stalled(t, env.Client, obj, sourcev1.InvalidProviderConfigurationReason,
		"start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
	NewWithT(t).Expect(conditions.CheckInvariants(obj)).To(Succeed())
}
