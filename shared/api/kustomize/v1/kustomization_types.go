package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// Policies for the objects applied by a Kustomization when the Kustomization is deleted
// (spec.deletionPolicy).
const (
	// DeletionPolicyMirrorPrune deletes the objects when spec.prune is true and keeps them
	// otherwise. It is the policy used when spec.deletionPolicy is empty.
	DeletionPolicyMirrorPrune = "MirrorPrune"
	// DeletionPolicyDelete deletes the objects whatever spec.prune says.
	DeletionPolicyDelete = "Delete"
	// DeletionPolicyWaitForTermination deletes the objects and waits, up to the timeout, until
	// they are gone before the Kustomization is released.
	DeletionPolicyWaitForTermination = "WaitForTermination"
	// DeletionPolicyOrphan leaves the objects in the cluster.
	DeletionPolicyOrphan = "Orphan"
)

// minTimeout is the shortest timeout the controller uses for one reconciliation.
const minTimeout = 30 * time.Second

// KustomizationSpec says which source directory to build, how to change the build, and how
// to apply, prune and check the resulting objects.
type KustomizationSpec struct {
	// SourceRef names the GitRepository, OCIRepository or Bucket whose artifact holds the
	// manifests.
	// +required
	SourceRef CrossNamespaceSourceReference `json:"sourceRef"`

	// Path is the directory of the artifact to build, relative to its root. The directory
	// may hold a kustomization.yaml or plain manifests, for which one is generated. Empty
	// means the root of the artifact.
	// +optional
	Path string `json:"path,omitempty"`

	// Interval between two reconciliations, each of which re-applies the build and so
	// corrects drift in the cluster.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// RetryInterval is the wait before retrying a failed reconciliation. It defaults to
	// spec.interval.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`

	// Timeout bounds the build, apply and health assessment of one reconciliation. When
	// empty it is spec.interval minus 30 seconds; it is never shorter than 30 seconds.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Suspend stops further reconciliations; one already running completes.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// DependsOn lists Kustomizations that must be ready before this one is reconciled.
	// +optional
	DependsOn []meta.DependencyReference `json:"dependsOn,omitempty"`

	// Prune deletes objects that were applied before but are no longer in the build.
	// +required
	Prune bool `json:"prune"`

	// DeletionPolicy decides what happens to the applied objects when the Kustomization is
	// deleted. Empty means MirrorPrune.
	// +kubebuilder:validation:Enum=MirrorPrune;Delete;WaitForTermination;Orphan
	// +optional
	DeletionPolicy string `json:"deletionPolicy,omitempty"`

	// Force lets the controller delete and recreate an object when a change to an immutable
	// field makes the apply fail.
	// +kubebuilder:default=false
	// +optional
	Force bool `json:"force,omitempty"`

	// Wait makes the controller assess the health of every applied object, in which case
	// spec.healthChecks is not used.
	// +optional
	Wait bool `json:"wait,omitempty"`

	// HealthChecks lists objects whose health decides whether the Kustomization is ready.
	// +optional
	HealthChecks []meta.NamespacedObjectKindReference `json:"healthChecks,omitempty"`

	// HealthCheckExprs gives CEL expressions that decide the health of custom resources of
	// the listed kinds.
	// +optional
	HealthCheckExprs []meta.CustomHealthCheck `json:"healthCheckExprs,omitempty"`

	// ServiceAccountName is the ServiceAccount the controller impersonates to apply, prune
	// and read the objects.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// KubeConfig points at the kubeconfig of a remote cluster to reconcile instead of the
	// local one. With spec.serviceAccountName the controller impersonates that account in
	// the remote cluster.
	// +optional
	KubeConfig *meta.KubeConfigReference `json:"kubeConfig,omitempty"`

	// Decryption decrypts SOPS-encrypted manifests before they are applied.
	// +optional
	Decryption *Decryption `json:"decryption,omitempty"`

	// PostBuild substitutes variables in the build output.
	// +optional
	PostBuild *PostBuild `json:"postBuild,omitempty"`

	// TargetNamespace sets the namespace of every namespaced object of the build.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// NamePrefix is put before the name of every object of the build.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +optional
	NamePrefix string `json:"namePrefix,omitempty"`

	// NameSuffix is put after the name of every object of the build.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +optional
	NameSuffix string `json:"nameSuffix,omitempty"`

	// CommonMetadata holds labels and annotations set on every object of the build,
	// replacing existing values of the same keys.
	// +optional
	CommonMetadata *meta.CommonMetadata `json:"commonMetadata,omitempty"`

	// Patches are strategic-merge or JSON 6902 patches applied to the objects they target.
	// +optional
	Patches []meta.Patch `json:"patches,omitempty"`

	// Images replaces image names, tags or digests in the build.
	// +optional
	Images []meta.Image `json:"images,omitempty"`

	// Components lists paths of Kustomize components to add to the build, relative to
	// spec.path.
	// +optional
	Components []string `json:"components,omitempty"`

	// IgnoreMissingComponents leaves out components that do not exist instead of failing
	// the build.
	// +optional
	IgnoreMissingComponents bool `json:"ignoreMissingComponents,omitempty"`

	// BuildMetadata asks Kustomize to annotate the objects with where they came from.
	// +optional
	BuildMetadata []BuildMetadataOption `json:"buildMetadata,omitempty"`

	// Ignore lists fields of applied objects that the controller leaves alone when it
	// detects and corrects drift.
	// +optional
	Ignore []meta.IgnoreRule `json:"ignore,omitempty"`
}

// KustomizationStatus is the state of a Kustomization as last observed by the controller.
type KustomizationStatus struct {
	meta.ObjectStatus `json:",inline"`

	// LastAppliedRevision is the source revision that was last applied successfully.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`

	// LastAppliedOriginRevision is the revision of the origin of the source (for example the
	// Git commit an OCI artifact was built from) that was last applied successfully.
	// +optional
	LastAppliedOriginRevision string `json:"lastAppliedOriginRevision,omitempty"`

	// LastAttemptedRevision is the source revision of the last reconciliation, successful
	// or not.
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`

	// Inventory lists the objects applied by the last successful reconciliation.
	// +optional
	Inventory *meta.ResourceInventory `json:"inventory,omitempty"`

	// History records the most recent distinct reconciliations, newest first.
	// +optional
	History History `json:"history,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=ks,categories=fluxcd
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status",description=""
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message",description=""

// Kustomization builds a directory of a source artifact with Kustomize and keeps the
// resulting objects applied to the cluster.
type Kustomization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Kustomization.
	Spec KustomizationSpec `json:"spec,omitempty"`

	// Status is the observed state of the Kustomization.
	// +kubebuilder:default={"observedGeneration":-1}
	Status KustomizationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// KustomizationList is a list of Kustomizations.
type KustomizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items holds the Kustomizations.
	Items []Kustomization `json:"items"`
}

// GetObjectStatus returns the status fields shared by every toolkit kind.
func (in *Kustomization) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *Kustomization) IsSuspended() bool { return in.Spec.Suspend }

// GetRequeueAfter returns the wait before the next reconciliation after a success.
func (in *Kustomization) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetRetryInterval returns the wait before retrying after a failure: spec.retryInterval,
// or spec.interval when that is not set.
func (in *Kustomization) GetRetryInterval() time.Duration {
	if in.Spec.RetryInterval != nil {
		return in.Spec.RetryInterval.Duration
	}
	return in.Spec.Interval.Duration
}

// GetTimeout returns the time allowed to one reconciliation: spec.timeout when set, else
// spec.interval minus 30 seconds, and in either case at least 30 seconds.
func (in *Kustomization) GetTimeout() time.Duration {
	timeout := in.Spec.Interval.Duration - minTimeout
	if in.Spec.Timeout != nil {
		timeout = in.Spec.Timeout.Duration
	}
	return max(timeout, minTimeout)
}

// GetDependsOn returns the Kustomizations this one waits for.
func (in *Kustomization) GetDependsOn() []meta.DependencyReference { return in.Spec.DependsOn }

// GetDeletionPolicy returns spec.deletionPolicy, or MirrorPrune when it is empty.
func (in *Kustomization) GetDeletionPolicy() string {
	if in.Spec.DeletionPolicy == "" {
		return DeletionPolicyMirrorPrune
	}
	return in.Spec.DeletionPolicy
}

// ShouldDeleteOnFinalize reports whether the applied objects must be deleted together with
// the Kustomization, according to the deletion policy and spec.prune.
func (in *Kustomization) ShouldDeleteOnFinalize() bool {
	switch in.GetDeletionPolicy() {
	case DeletionPolicyMirrorPrune:
		return in.Spec.Prune
	case DeletionPolicyDelete, DeletionPolicyWaitForTermination:
		return true
	default:
		return false
	}
}
