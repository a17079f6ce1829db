package v1

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ReceiverKind is the kind name of Receiver.
const ReceiverKind = "Receiver"

// ReceiverWebhookPath is the prefix of the path under which a Receiver's webhook is served.
const ReceiverWebhookPath = "/hook/"

// DefaultReceiverInterval is the reconcile interval of a Receiver without spec.interval.
const DefaultReceiverInterval = 10 * time.Minute

// Webhook senders a Receiver understands (spec.type).
const (
	// GenericReceiver accepts any request carrying the token in the path.
	GenericReceiver = "generic"
	// GenericHMACReceiver checks an HMAC signature of the payload made with the token.
	GenericHMACReceiver = "generic-hmac"
	// GenericOIDCReceiver checks an OIDC bearer token against spec.oidcProviders.
	GenericOIDCReceiver = "generic-oidc"
	// GitHubReceiver handles GitHub webhooks.
	GitHubReceiver = "github"
	// GitLabReceiver handles GitLab webhooks.
	GitLabReceiver = "gitlab"
	// BitbucketReceiver handles Bitbucket Server webhooks.
	BitbucketReceiver = "bitbucket"
	// HarborReceiver handles Harbor webhooks.
	HarborReceiver = "harbor"
	// DockerHubReceiver handles Docker Hub webhooks.
	DockerHubReceiver = "dockerhub"
	// QuayReceiver handles Quay webhooks.
	QuayReceiver = "quay"
	// GCRReceiver handles Google Container Registry and Artifact Registry Pub/Sub pushes.
	GCRReceiver = "gcr"
	// NexusReceiver handles Sonatype Nexus webhooks.
	NexusReceiver = "nexus"
	// ACRReceiver handles Azure Container Registry webhooks.
	ACRReceiver = "acr"
	// CDEventsReceiver handles CDEvents.
	CDEventsReceiver = "cdevents"
)

// ReceiverSpec says which webhooks a Receiver accepts and which objects it asks to reconcile.
// +kubebuilder:validation:XValidation:rule="self.type == 'generic-oidc' || has(self.secretRef)",message="spec.secretRef is required unless spec.type is 'generic-oidc'"
type ReceiverSpec struct {
	// Type is the webhook sender; it decides how a request is authenticated and parsed.
	// +kubebuilder:validation:Enum=generic;generic-hmac;generic-oidc;github;gitlab;bitbucket;harbor;dockerhub;quay;gcr;nexus;acr;cdevents
	// +required
	Type string `json:"type"`

	// Interval at which the Receiver is reconciled with the Secret it refers to.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +kubebuilder:default="10m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Events lists the event types to act on, such as 'push' for GitHub or 'Push Hook' for
	// GitLab. Empty means every event.
	// +optional
	Events []string `json:"events,omitempty"`

	// Resources lists the objects to ask for a reconcile when a valid webhook arrives.
	// +required
	Resources []ReceiverResource `json:"resources"`

	// ResourceFilter is a CEL expression returning a boolean, evaluated for each object of
	// spec.resources against the request; objects for which it is false are not
	// reconciled. An expression that does not compile or is not boolean stalls the Receiver.
	// +optional
	ResourceFilter string `json:"resourceFilter,omitempty"`

	// SecretRef names the Secret whose 'token' key authenticates the requests and forms the
	// webhook path. The gcr type also reads the 'email' and 'audience' keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// OIDCProviders lists the OIDC issuers whose tokens a generic-oidc Receiver accepts.
	// +optional
	OIDCProviders []OIDCProvider `json:"oidcProviders,omitempty"`

	// Suspend stops the Receiver from handling webhooks.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// ReceiverResource names objects a Receiver asks to reconcile.
type ReceiverResource struct {
	CrossNamespaceObjectReference `json:",inline"`

	// Filter is a CEL expression returning a boolean, evaluated against the request; when
	// false these objects are not reconciled.
	// +optional
	Filter string `json:"filter,omitempty"`
}

// OIDCProvider is an OIDC issuer whose ID tokens a generic-oidc Receiver accepts.
type OIDCProvider struct {
	// IssuerURL is the issuer's URL, from which its discovery document and keys are read.
	// +required
	IssuerURL string `json:"issuerURL"`

	// Audience is the audience the token must be issued for.
	// +optional
	Audience string `json:"audience,omitempty"`

	// Variables are named CEL expressions computed from the token claims, usable in the
	// validations.
	// +optional
	Variables []OIDCVariable `json:"variables,omitempty"`

	// Validations are CEL expressions that must all be true for a token to be accepted.
	// +required
	Validations []OIDCValidation `json:"validations"`
}

// OIDCVariable is a named CEL expression over the claims of a token.
type OIDCVariable struct {
	// Name of the variable.
	// +required
	Name string `json:"name"`

	// Expression computing the value of the variable.
	// +required
	Expression string `json:"expression"`
}

// OIDCValidation is a CEL expression that must hold for a token to be accepted.
type OIDCValidation struct {
	// Expression returning a boolean.
	// +required
	Expression string `json:"expression"`

	// Message explains the rejection when the expression is false.
	// +required
	Message string `json:"message"`
}

// ReceiverStatus is the state of a Receiver as last observed by the controller.
type ReceiverStatus struct {
	meta.ObjectStatus `json:",inline"`

	// WebhookPath is the path at which the webhook is served:
	// /hook/<sha256 of token, name and namespace>.
	// +optional
	WebhookPath string `json:"webhookPath,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=fluxcd
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// Receiver serves a webhook and, on each valid request, asks the listed objects to
// reconcile.
type Receiver struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Receiver.
	Spec ReceiverSpec `json:"spec,omitempty"`

	// Status is the observed state of the Receiver.
	// +kubebuilder:default={"observedGeneration":-1}
	Status ReceiverStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ReceiverList is a list of Receivers.
type ReceiverList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items holds the Receivers.
	Items []Receiver `json:"items"`
}

// GetObjectStatus returns the status fields shared by every toolkit kind.
func (in *Receiver) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *Receiver) IsSuspended() bool { return in.Spec.Suspend }

// GetInterval returns spec.interval, or ten minutes when it is not set.
func (in *Receiver) GetInterval() time.Duration {
	if in.Spec.Interval == nil {
		return DefaultReceiverInterval
	}
	return in.Spec.Interval.Duration
}

// GetRequeueAfter returns the wait before the next reconciliation.
func (in *Receiver) GetRequeueAfter() time.Duration { return in.GetInterval() }

// GetWebhookPath returns the webhook path derived from the token and the Receiver's name and
// namespace.
func (in *Receiver) GetWebhookPath(token string) string {
	sum := sha256.Sum256([]byte(token + in.GetName() + in.GetNamespace()))
	return ReceiverWebhookPath + hex.EncodeToString(sum[:])
}
