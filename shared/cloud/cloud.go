// Package cloud gets short-lived credentials for the controller's own cloud identity, as
// Flux's `spec.provider: aws | azure | gcp` asks: the IAM role of the pod or node on AWS
// (IRSA, EKS Pod Identity, instance profile), the workload or managed identity on Azure, and
// the service account of the pod or node on Google Cloud. It turns them into registry logins
// (Amazon ECR, Azure Container Registry, Google Artifact Registry and Container Registry) and
// into the Entra ID token of Azure DevOps and the bearer tokens of managed Kubernetes API
// servers (AKS, GKE, EKS), and hands them to the cloud SDK clients of other packages (the
// KMS key sources of SOPS decryption) as each SDK takes credentials; it caches what it gets
// until shortly before it expires. Identities come from the controller's environment, through each provider's SDK
// (aws-sdk-go-v2, azidentity, golang.org/x/oauth2/google), or, for object-level workload
// identity (feature gate ObjectLevelWorkloadIdentity), from a ServiceAccount: its
// annotations name an AWS role, an Azure identity, or a Google workload identity provider and
// service account, and its tokens (TokenRequest API) are exchanged for that identity's
// credentials (ReadServiceAccount is the one place that reads Kubernetes objects).
package cloud

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The providers of spec.provider.
const (
	// Generic is no cloud identity: static credentials from Secrets, or anonymous access.
	Generic = "generic"
	// AWS is the AWS identity of the controller.
	AWS = "aws"
	// Azure is the Microsoft Entra identity of the controller.
	Azure = "azure"
	// GCP is the Google Cloud identity of the controller.
	GCP = "gcp"
)

// wrongHostError says which registries a provider logs in to: the object's spec must change.
type wrongHostError struct{ provider, registries, host string }

// Error says what the provider logs in to, and the host it was given.
func (e wrongHostError) Error() string {
	return fmt.Sprintf("provider %s logs in to %s, not '%s'", e.provider, e.registries, e.host)
}

// Login is a username and password for a registry, valid until Expiry.
type Login struct {
	// Username and Password are sent with HTTP basic auth (or to the registry's token service).
	Username, Password string
	// Expiry is when the password stops working.
	Expiry time.Time
}

// IsCloud reports whether provider names a cloud identity (aws, azure or gcp).
func IsCloud(provider string) bool {
	return provider == AWS || provider == Azure || provider == GCP
}

// RegistryLogin logs in to the registry at host (host[:port]) with the controller's identity
// of provider: RegistryLoginAs without a ServiceAccount.
func (c *Cache) RegistryLogin(ctx context.Context, provider, host string, hc *http.Client) (Login, error) {
	return c.RegistryLoginAs(ctx, provider, host, hc, nil)
}

// RegistryLoginAs logs in to the registry at host (host[:port]) with the identity of
// provider that sa's annotations name, proved with sa's tokens (object-level workload
// identity), or the controller's own identity when sa is nil. hc reaches
// the registry itself (with its TLS material and proxy): Azure exchanges its token there.
// Logins are cached in c, apart for every identity, until shortly before they expire; a nil
// Cache caches nothing.
func (c *Cache) RegistryLoginAs(ctx context.Context, provider, host string, hc *http.Client, sa *ServiceAccount) (Login, error) {
	key := provider + "/registry/" + host + sa.cacheKey()
	if l, ok := c.get(key); ok {
		return l, nil
	}
	var (
		l   Login
		err error
	)
	switch provider {
	case AWS:
		l, err = ecrLogin(ctx, host, sa)
	case Azure:
		l, err = acrLogin(ctx, c.azureCredential(sa), host, hc)
	case GCP:
		l, err = googleLogin(ctx, host, sa)
	default:
		return Login{}, fmt.Errorf("provider '%s' has no registry login", provider)
	}
	if err != nil {
		return Login{}, err
	}
	c.put(key, l)
	return l, nil
}

// hostname is host without a port.
func hostname(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// CheckSpec returns why an object's provider, service account and secret cannot be used
// together, or nil. With a cloud provider a Secret would be ignored (Ferry refuses it
// instead); a service account asks for object-level workload identity, which needs the
// feature gate ObjectLevelWorkloadIdentity (objectLevel: whether the controller has it on).
func CheckSpec(provider, serviceAccount string, secretRef, objectLevel bool) error {
	if !IsCloud(provider) {
		return nil
	}
	if serviceAccount != "" && !objectLevel {
		return fmt.Errorf("spec.serviceAccountName with spec.provider %s asks for object-level workload identity, which is off: start the controller with --feature-gates=%s=true, or remove spec.serviceAccountName to use the controller's own identity", provider, ObjectLevelWorkloadIdentity)
	}
	if secretRef {
		return fmt.Errorf("spec.secretRef cannot be used with spec.provider %s: the provider's login gives the credentials; remove spec.secretRef, or set spec.provider to generic", provider)
	}
	return nil
}
