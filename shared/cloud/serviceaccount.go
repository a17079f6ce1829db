package cloud

import (
	"context"
	"fmt"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ObjectLevelWorkloadIdentity is the feature gate (--feature-gates) that lets an object name,
// with spec.serviceAccountName next to a cloud spec.provider, the ServiceAccount whose cloud
// identity it uses instead of the controller's, as in Flux.
const ObjectLevelWorkloadIdentity = "ObjectLevelWorkloadIdentity"

// The annotations of a ServiceAccount that name its cloud identity, as Amazon EKS (IRSA),
// Azure workload identity, GKE and Flux define them.
const (
	// AWSRoleARNAnnotation is the IAM role the ServiceAccount assumes.
	AWSRoleARNAnnotation = "eks.amazonaws.com/role-arn"
	// AzureClientIDAnnotation is the client ID of the Entra ID application or managed identity
	// that trusts the ServiceAccount's tokens (a federated identity credential).
	AzureClientIDAnnotation = "azure.workload.identity/client-id"
	// AzureTenantIDAnnotation is the tenant of that application or identity.
	AzureTenantIDAnnotation = "azure.workload.identity/tenant-id"
	// GCPServiceAccountAnnotation is the Google service account (its email) that the
	// ServiceAccount impersonates, as GKE defines it; without it, the ServiceAccount's own
	// federated identity is used.
	GCPServiceAccountAnnotation = "iam.gke.io/gcp-service-account"
	// GCPWorkloadIdentityProviderAnnotation is the workload identity pool provider that trusts
	// the ServiceAccount's tokens outside GKE (projects/<number>/locations/global/
	// workloadIdentityPools/<pool>/providers/<provider>), as Flux defines it; without it, the
	// cluster must be GKE, whose workload identity pool is read from the metadata server.
	GCPWorkloadIdentityProviderAnnotation = "gcp.auth.fluxcd.io/workload-identity-provider"
)

// The audiences of the ServiceAccount tokens each cloud exchanges, as AWS and Azure document
// them for their web identity federation.
const (
	// AWSAudience is the audience of the tokens STS AssumeRoleWithWebIdentity takes.
	AWSAudience = "sts.amazonaws.com"
	// AzureAudience is the audience of the client assertions Entra ID takes.
	AzureAudience = "api://AzureADTokenExchange"
)

// serviceAccountTokenSeconds is the life asked for a ServiceAccount token: it is exchanged at
// once, so the shortest the TokenRequest API allows.
const serviceAccountTokenSeconds = 600

// ServiceAccount is the Kubernetes ServiceAccount whose cloud identity an object asks for
// (spec.serviceAccountName with spec.provider aws, azure or gcp): its annotations name the
// identity, and its tokens prove it to the cloud.
type ServiceAccount struct {
	// Namespace and Name name the ServiceAccount.
	Namespace, Name string
	// Annotations are the ServiceAccount's annotations.
	Annotations map[string]string
	// Token returns a new token of the ServiceAccount for audience.
	Token func(ctx context.Context, audience string) (string, error)
}

// ReadServiceAccount reads the ServiceAccount namespace/name with r (best one that does not
// cache ServiceAccounts) and returns it with a Token function that asks the TokenRequest API
// through c.
func ReadServiceAccount(ctx context.Context, r client.Reader, c client.SubResourceClientConstructor, namespace, name string) (*ServiceAccount, error) {
	var sa corev1.ServiceAccount
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &sa); err != nil {
		return nil, fmt.Errorf("failed to get ServiceAccount '%s/%s': %w", namespace, name, err)
	}
	token := func(ctx context.Context, audience string) (string, error) {
		tok, _, err := RequestToken(ctx, c, namespace, name, []string{audience}, serviceAccountTokenSeconds)
		return tok, err
	}
	return &ServiceAccount{Namespace: namespace, Name: name, Annotations: sa.Annotations, Token: token}, nil
}

// ServiceAccountName is the ServiceAccount whose cloud identity an object with this provider
// logs in with: name, its spec.serviceAccountName, or, when it names none, def, the
// controller's --default-service-account (Flux's multi-tenancy lock-down: the objects of a
// tenant never get the controller's own identity). "" means the controller's identity; a
// provider that is not a cloud's takes no default.
func ServiceAccountName(provider, name, def string) string {
	if name == "" && IsCloud(provider) {
		return def
	}
	return name
}

// ObjectServiceAccount returns the ServiceAccount whose identity an object of namespace with
// this provider and spec.serviceAccountName logs in with, or nil (the controller's identity)
// when the provider is not a cloud's or no ServiceAccount is named. Whether the object may
// name one at all is CheckSpec's to say.
func ObjectServiceAccount(ctx context.Context, r client.Reader, c client.SubResourceClientConstructor, provider, namespace, name string) (*ServiceAccount, error) {
	if !IsCloud(provider) || name == "" {
		return nil, nil
	}
	return ReadServiceAccount(ctx, r, c, namespace, name)
}

// String names the ServiceAccount as namespace/name.
func (sa *ServiceAccount) String() string { return sa.Namespace + "/" + sa.Name }

// annotation returns the value of the annotation key, or an error naming the ServiceAccount,
// the provider and the annotation to set.
func (sa *ServiceAccount) annotation(provider, key string) (string, error) {
	v := strings.TrimSpace(sa.Annotations[key])
	if v == "" {
		return "", fmt.Errorf("ServiceAccount '%s' has no annotation %s: annotate it with the %s identity it stands for", sa, key, provider)
	}
	return v, nil
}

// cacheKey is what keeps the logins of one identity apart from every other's: the
// controller's (sa nil), or the ServiceAccount's with the identity its annotations name.
func (sa *ServiceAccount) cacheKey() string {
	if sa == nil {
		return ""
	}
	return "/sa/" + sa.Namespace + "/" + sa.Name + "/" + sa.Annotations[AWSRoleARNAnnotation] + "/" +
		sa.Annotations[AzureTenantIDAnnotation] + "/" + sa.Annotations[AzureClientIDAnnotation] + "/" +
		sa.Annotations[GCPWorkloadIdentityProviderAnnotation] + "/" + sa.Annotations[GCPServiceAccountAnnotation]
}

// identity names whose identity of cloud (AWS, Azure, Google Cloud) a login uses, for error
// messages.
func (sa *ServiceAccount) identity(cloud string) string {
	if sa == nil {
		return "the controller's " + cloud + " identity"
	}
	return "the " + cloud + " identity of ServiceAccount '" + sa.String() + "'"
}

// RequestToken asks the TokenRequest API, through c, for a token of ServiceAccount
// namespace/name for audiences (the API server's own when empty) that lives seconds, and
// returns it with its expiry.
func RequestToken(ctx context.Context, c client.SubResourceClientConstructor, namespace, name string, audiences []string, seconds int64) (string, time.Time, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &seconds}}
	issued := time.Now()
	if err := c.SubResource("token").Create(ctx, sa, req); err != nil {
		return "", time.Time{}, fmt.Errorf("failed to request a token of ServiceAccount '%s/%s': %w", namespace, name, err)
	}
	if req.Status.Token == "" {
		return "", time.Time{}, fmt.Errorf("failed to request a token of ServiceAccount '%s/%s': the answer holds none", namespace, name)
	}
	expiry := req.Status.ExpirationTimestamp.Time
	if !expiry.After(issued) {
		expiry = issued.Add(time.Duration(seconds) * time.Second)
	}
	return req.Status.Token, expiry, nil
}
