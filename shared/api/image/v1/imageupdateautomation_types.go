package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ImageUpdateAutomationSpec says which Git repository to update, how often, with which
// policies, and how to commit and push.
type ImageUpdateAutomationSpec struct {
	// SourceRef names the GitRepository to check out and push to.
	// +required
	SourceRef CrossNamespaceSourceReference `json:"sourceRef"`

	// GitSpec holds the checkout, commit and push settings. The schema leaves it optional,
	// but an automation cannot run without it.
	// +optional
	GitSpec *GitSpec `json:"git,omitempty"`

	// Interval is the least time between two automation runs.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// PolicySelector selects, by label, the ImagePolicies of the automation's namespace
	// that are applied; when absent all of them are.
	// +optional
	PolicySelector *metav1.LabelSelector `json:"policySelector,omitempty"`

	// Update says how files in the checkout are rewritten; it defaults to the Setters
	// strategy over the whole repository.
	// +kubebuilder:default={"strategy":"Setters"}
	// +optional
	Update *UpdateStrategy `json:"update,omitempty"`

	// Suspend stops further automation runs while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// UpdateStrategyName names a way of rewriting files.
// +kubebuilder:validation:Enum=Setters
type UpdateStrategyName string

// UpdateStrategySetters rewrites the YAML fields marked with a SetterMarker comment.
const UpdateStrategySetters UpdateStrategyName = "Setters"

// UpdateStrategy selects the update strategy and where it applies.
type UpdateStrategy struct {
	// Strategy names the strategy.
	// +kubebuilder:default=Setters
	// +optional
	Strategy UpdateStrategyName `json:"strategy,omitempty"`

	// Path is the directory, relative to the repository root, under which files are
	// updated; the default is the root.
	// +optional
	Path string `json:"path,omitempty"`
}

// CrossNamespaceSourceReference names the source of an automation, optionally in another
// namespace.
type CrossNamespaceSourceReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent; only GitRepository is supported.
	// +kubebuilder:validation:Enum=GitRepository
	// +kubebuilder:default=GitRepository
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the automation.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// String renders the reference as `Kind/namespace/name`, or `Kind/name` without a namespace.
func (in *CrossNamespaceSourceReference) String() string {
	if in.Namespace == "" {
		return in.Kind + "/" + in.Name
	}
	return in.Kind + "/" + in.Namespace + "/" + in.Name
}

// ObservedPolicies maps the name of each ImagePolicy an automation applied to the image
// it elected.
type ObservedPolicies map[string]ImageRef

// ImageUpdateAutomationStatus is the observed state of an ImageUpdateAutomation.
type ImageUpdateAutomationStatus struct {
	meta.ObjectStatus `json:",inline"`

	// LastAutomationRunTime is when the last run completed, whether or not it changed
	// anything.
	// +optional
	LastAutomationRunTime *metav1.Time `json:"lastAutomationRunTime,omitempty"`

	// LastPushCommit is the hash of the last commit the automation pushed.
	// +optional
	LastPushCommit string `json:"lastPushCommit,omitempty"`

	// LastPushTime is when the automation last pushed a commit.
	// +optional
	LastPushTime *metav1.Time `json:"lastPushTime,omitempty"`

	// ObservedPolicies are the policies, and their elected images, that the last run
	// applied.
	// +optional
	ObservedPolicies ObservedPolicies `json:"observedPolicies,omitempty"`

	// ObservedSourceRevision is the revision of the source the last run worked on, which
	// tells whether the source moved since.
	// +optional
	ObservedSourceRevision string `json:"observedSourceRevision,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=iua;imgupd;imgauto,categories=all;fluxcd;fluxcd-images
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message"
// +kubebuilder:printcolumn:name="Last run",type="string",JSONPath=".status.lastAutomationRunTime",priority=1
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"

// ImageUpdateAutomation writes the images elected by ImagePolicies into the marked fields
// of files in a Git repository, then commits and pushes the change.
type ImageUpdateAutomation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImageUpdateAutomationSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImageUpdateAutomationStatus `json:"status,omitempty"`
}

// GetObjectStatus returns the status fields the shared runtime maintains.
func (in *ImageUpdateAutomation) GetObjectStatus() *meta.ObjectStatus {
	return &in.Status.ObjectStatus
}

// IsSuspended reports whether spec.suspend is set.
func (in *ImageUpdateAutomation) IsSuspended() bool { return in.Spec.Suspend }

// GetRequeueAfter returns the automation interval.
func (in *ImageUpdateAutomation) GetRequeueAfter() time.Duration {
	return in.Spec.Interval.Duration
}

// +kubebuilder:object:root=true

// ImageUpdateAutomationList is a list of ImageUpdateAutomations.
type ImageUpdateAutomationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageUpdateAutomation `json:"items"`
}
