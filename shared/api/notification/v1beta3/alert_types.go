package v1beta3

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
)

// AlertKind is the kind name of Alert.
const AlertKind = "Alert"

// Event severities an Alert filters on (spec.eventSeverity).
const (
	// EventSeverityInfo forwards every event.
	EventSeverityInfo = "info"
	// EventSeverityError forwards only error events.
	EventSeverityError = "error"
)

// AlertSpec says which events to forward and to which Provider.
type AlertSpec struct {
	// ProviderRef names the Provider, in the Alert's namespace, that receives the events.
	// +required
	ProviderRef meta.LocalObjectReference `json:"providerRef"`

	// EventSeverity is the lowest severity forwarded: 'info' forwards every event, 'error'
	// only errors.
	// +kubebuilder:validation:Enum=info;error
	// +kubebuilder:default=info
	// +optional
	EventSeverity string `json:"eventSeverity,omitempty"`

	// EventSources selects the objects whose events are forwarded, by kind, name, namespace
	// and labels.
	// +required
	EventSources []notificationv1.CrossNamespaceObjectReference `json:"eventSources"`

	// InclusionList holds Go regular expressions; when set, only events whose message
	// matches one of them are forwarded.
	// +optional
	InclusionList []string `json:"inclusionList,omitempty"`

	// ExclusionList holds Go regular expressions; events whose message matches one of them
	// are dropped.
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// EventMetadata is added to the metadata of every forwarded event. A key already set by
	// the emitter of the event keeps the emitter's value.
	// +optional
	EventMetadata map[string]string `json:"eventMetadata,omitempty"`

	// Summary is a short description, such as the impact or the cluster, added to every
	// forwarded event.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Summary string `json:"summary,omitempty"`

	// Suspend stops the Alert from forwarding events.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=fluxcd
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

// Alert forwards the events of selected toolkit objects to a Provider.
type Alert struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Alert.
	Spec AlertSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// AlertList is a list of Alerts.
type AlertList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items holds the Alerts.
	Items []Alert `json:"items"`
}

// IsSuspended reports whether spec.suspend is set.
func (in *Alert) IsSuspended() bool { return in.Spec.Suspend }
