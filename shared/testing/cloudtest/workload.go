package cloudtest

import (
	"context"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
)

// The object-level identities: those a ServiceAccount's annotations name, which only its
// tokens obtain.
const (
	// TenantRoleARN is the IAM role of a ServiceAccount (eks.amazonaws.com/role-arn).
	TenantRoleARN = "arn:aws:iam::012345678901:role/ferry-tenant"
	// TenantClientID is the Azure client ID of a ServiceAccount
	// (azure.workload.identity/client-id), in the tenant of AzureIdentity.
	TenantClientID = "ferry-tenant-app"
	// AzureTenantID is the tenant of every Azure identity (azure.workload.identity/tenant-id).
	AzureTenantID = "ferry-tenant"
	// WorkloadIdentityProvider is the Google workload identity pool provider that trusts the
	// test API server's ServiceAccount tokens (gcp.auth.fluxcd.io/workload-identity-provider).
	WorkloadIdentityProvider = "projects/123456789012/locations/global/workloadIdentityPools/ferry/providers/kubernetes"
	// TenantGoogleServiceAccount is the Google service account that a ServiceAccount
	// impersonates (iam.gke.io/gcp-service-account).
	TenantGoogleServiceAccount = "ferry-tenant@ferry-test.iam.gserviceaccount.com"
)

// The audiences of the ServiceAccount tokens each cloud exchanges (as shared/cloud asks
// for them).
const (
	awsAudience    = "sts.amazonaws.com"
	azureAudience  = "api://AzureADTokenExchange"
	googleAudience = "//iam.googleapis.com/" + WorkloadIdentityProvider
)

// Review returns a check of ServiceAccount tokens that asks the API server of kube
// (TokenReview, authentication.k8s.io/v1) whether a token is genuine, valid for audience,
// and of the ServiceAccount namespace/name; it returns the token's subject
// (system:serviceaccount:<namespace>:<name>), as a cloud's federation does with the
// cluster's OIDC issuer.
func Review(kube client.Client, audience, namespace, name string) func(token string) (string, bool) {
	want := "system:serviceaccount:" + namespace + ":" + name
	genuine := ReviewAny(kube, audience)
	return func(token string) (string, bool) {
		if subject, ok := genuine(token); ok && subject == want {
			return subject, true
		}
		return "", false
	}
}

// ReviewAny returns a check of the tokens of any ServiceAccount, as Review's: genuine and
// valid for audience; it returns the token's subject, as Google's federation does with the
// cluster's issuer before IAM decides what that subject may do.
func ReviewAny(kube client.Client, audience string) func(token string) (string, bool) {
	return func(token string) (string, bool) {
		review := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{audience}}}
		if err := kube.Create(context.Background(), review); err != nil {
			return "", false
		}
		st := review.Status
		if !st.Authenticated || !strings.HasPrefix(st.User.Username, "system:serviceaccount:") || !slices.Contains(st.Audiences, audience) {
			return "", false
		}
		return st.User.Username, true
	}
}

// ServiceAccountIdentity creates the ServiceAccount namespace/name, annotated with the
// object-level identity of c's provider (TenantRoleARN, TenantClientID in AzureTenantID, or
// TenantGoogleServiceAccount through WorkloadIdentityProvider), which the provider's token
// service gives only for that ServiceAccount's genuine tokens (Review), and lets only that
// identity log in to c.Registry: the controller's own identity no longer can.
func (c *Cloud) ServiceAccountIdentity(t testing.TB, kube client.Client, namespace, name string) *corev1.ServiceAccount {
	t.Helper()
	var annotations map[string]string
	switch c.Provider {
	case "aws":
		c.AWS.AllowWebIdentityFunc(TenantRoleARN, Review(kube, awsAudience, namespace, name))
		c.AWS.RequireECRRole(TenantRoleARN)
		t.Cleanup(func() { c.AWS.RequireECRRole(RoleARN) })
		annotations = map[string]string{"eks.amazonaws.com/role-arn": TenantRoleARN}
	case "azure":
		annotations = AzureServiceAccount(t, c.Azure, kube, namespace, name)
		c.acr.RequireClient(TenantClientID)
		t.Cleanup(func() { c.acr.RequireClient("") })
	case "gcp":
		annotations = GoogleServiceAccount(t, c.Google, kube, namespace, name)
		c.RequireGoogle(TenantGoogleServiceAccount)
		t.Cleanup(func() { c.RequireGoogle("") })
	default:
		t.Fatalf("provider %s has no object-level identity in cloudtest", c.Provider)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: annotations}}
	if err := kube.Create(context.Background(), sa); err != nil {
		t.Fatal(err)
	}
	return sa
}

// AzureServiceAccount adds to the authority the principal TenantClientID, whose federated
// credential trusts the genuine tokens of the ServiceAccount namespace/name (Review), and
// returns the annotations that name it on a ServiceAccount.
func AzureServiceAccount(t testing.TB, authority *azureapi.Server, kube client.Client, namespace, name string) map[string]string {
	t.Helper()
	review := Review(kube, azureAudience, namespace, name)
	err := authority.AddPrincipal(azureapi.Principal{TenantID: AzureTenantID, ClientID: TenantClientID,
		Federated: func(assertion string) bool { _, ok := review(assertion); return ok }})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"azure.workload.identity/client-id": TenantClientID, "azure.workload.identity/tenant-id": AzureTenantID}
}

// RequireGoogle lets only the access tokens of principal that c.Google issued log in to
// c.Registry (see gcpapi.Server.Principal), for provider gcp; "" lets the metadata server's
// tokens log in again.
func (c *Cloud) RequireGoogle(principal string) {
	c.googleRequired.Store(&principal)
}

// GoogleServiceAccount makes the Security Token Service of google trust, for
// WorkloadIdentityProvider, the genuine ServiceAccount tokens of the test API server
// (ReviewAny), lets the ServiceAccount namespace/name impersonate TenantGoogleServiceAccount,
// and returns the annotations that name both on a ServiceAccount.
func GoogleServiceAccount(t testing.TB, google *gcpapi.Server, kube client.Client, namespace, name string) map[string]string {
	t.Helper()
	if err := google.AddWorkloadIdentityProvider(WorkloadIdentityProvider, ReviewAny(kube, googleAudience)); err != nil {
		t.Fatal(err)
	}
	google.AllowImpersonation(TenantGoogleServiceAccount,
		gcpapi.WorkloadIdentityPrincipal(WorkloadIdentityProvider, "system:serviceaccount:"+namespace+":"+name))
	return map[string]string{"gcp.auth.fluxcd.io/workload-identity-provider": WorkloadIdentityProvider,
		"iam.gke.io/gcp-service-account": TenantGoogleServiceAccount}
}
