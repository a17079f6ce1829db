package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ExternalArtifactKind is the kind name of ExternalArtifact.
const ExternalArtifactKind = "ExternalArtifact"

// ExternalArtifactRequeue is how often a consumer looks at an ExternalArtifact again without
// a change: the producer writes its status, so there is nothing to fetch on an interval.
const ExternalArtifactRequeue = time.Minute

// ExternalArtifactSpec names the object the artifact is produced for.
type ExternalArtifactSpec struct {
	// SourceRef points at the custom resource the artifact is generated for, such as the
	// ArtifactGenerator that publishes it.
	// +optional
	SourceRef *meta.NamespacedObjectKindReference `json:"sourceRef,omitempty"`
}

// ExternalArtifactStatus is the artifact another controller produced, and its conditions.
type ExternalArtifactStatus struct {
	// ObjectStatus holds the conditions written by the producer. Ferry's producers also set
	// observedGeneration; a producer that does not leaves it out.
	meta.ObjectStatus `json:",inline"`

	// Artifact is the output of the producer's last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=ea,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.sourceRef.name`

// ExternalArtifact is an artifact whose status another controller writes (Ferry's
// ArtifactGenerator, or a third party's): Kustomizations and HelmReleases use it as they use
// any source.
type ExternalArtifact struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ExternalArtifactSpec   `json:"spec,omitempty"`
	Status ExternalArtifactStatus `json:"status,omitempty"`
}

// ExternalArtifactList is a list of ExternalArtifact objects.
// +kubebuilder:object:root=true
type ExternalArtifactList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ExternalArtifact `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *ExternalArtifact) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended is false: an ExternalArtifact has no spec.suspend.
func (in *ExternalArtifact) IsSuspended() bool { return false }

// GetArtifact returns status.artifact, or nil.
func (in *ExternalArtifact) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns ExternalArtifactRequeue.
func (in *ExternalArtifact) GetRequeueAfter() time.Duration { return ExternalArtifactRequeue }
