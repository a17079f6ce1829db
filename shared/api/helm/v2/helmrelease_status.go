package v2

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ReleaseAction is a Helm action that produces a release revision.
type ReleaseAction string

const (
	// ReleaseActionInstall is a Helm install.
	ReleaseActionInstall ReleaseAction = "install"
	// ReleaseActionUpgrade is a Helm upgrade.
	ReleaseActionUpgrade ReleaseAction = "upgrade"
)

// HelmReleaseStatus is the observed state of a HelmRelease.
type HelmReleaseStatus struct {
	meta.ObjectStatus `json:",inline"`

	// ObservedPostRenderersDigest is the digest of spec.postRenderers used by the last
	// successful install or upgrade.
	// +optional
	ObservedPostRenderersDigest string `json:"observedPostRenderersDigest,omitempty"`

	// ObservedCommonMetadataDigest is the digest of spec.commonMetadata used by the last
	// successful install or upgrade.
	// +optional
	ObservedCommonMetadataDigest string `json:"observedCommonMetadataDigest,omitempty"`

	// LastAttemptedGeneration is the last generation the controller attempted to reconcile.
	// +optional
	LastAttemptedGeneration int64 `json:"lastAttemptedGeneration,omitempty"`

	// HelmChart is '<namespace>/<name>' of the HelmChart created from spec.chart.
	// +optional
	HelmChart string `json:"helmChart,omitempty"`

	// StorageNamespace is the namespace of the Helm storage of the current release.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`

	// History holds the releases made for this HelmRelease, newest first, back to the last
	// successful one.
	// +optional
	History Snapshots `json:"history,omitempty"`

	// LastAttemptedReleaseAction is the last release action attempted; it decides which
	// remediation settings apply.
	// +kubebuilder:validation:Enum=install;upgrade
	// +optional
	LastAttemptedReleaseAction ReleaseAction `json:"lastAttemptedReleaseAction,omitempty"`

	// LastAttemptedReleaseActionDuration is how long the last release action took.
	// +optional
	LastAttemptedReleaseActionDuration *metav1.Duration `json:"lastAttemptedReleaseActionDuration,omitempty"`

	// Failures counts the failed reconciliations against the current desired state.
	// +optional
	Failures int64 `json:"failures,omitempty"`

	// InstallFailures counts the failed installs against the current desired state.
	// +optional
	InstallFailures int64 `json:"installFailures,omitempty"`

	// UpgradeFailures counts the failed upgrades against the current desired state.
	// +optional
	UpgradeFailures int64 `json:"upgradeFailures,omitempty"`

	// LastAttemptedRevision is the chart version of the last attempt; for OCIRepository
	// sources the first 12 characters of the digest are appended, as in '1.2.3+0123456789ab'.
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`

	// LastAttemptedRevisionDigest is the artifact digest of the last attempt, set only for
	// OCIRepository sources.
	// +optional
	LastAttemptedRevisionDigest string `json:"lastAttemptedRevisionDigest,omitempty"`

	// LastAttemptedValuesChecksum is the SHA-1 of the values of the last attempt.
	// Deprecated: use lastAttemptedConfigDigest.
	// +optional
	LastAttemptedValuesChecksum string `json:"lastAttemptedValuesChecksum,omitempty"`

	// LastReleaseRevision is the revision of the last successful release.
	// Deprecated: use history.
	// +optional
	LastReleaseRevision int `json:"lastReleaseRevision,omitempty"`

	// LastAttemptedConfigDigest is the digest of the values of the last attempt.
	// +optional
	LastAttemptedConfigDigest string `json:"lastAttemptedConfigDigest,omitempty"`

	// LastHandledForceAt is the last force request annotation value handled.
	// +optional
	LastHandledForceAt string `json:"lastHandledForceAt,omitempty"`

	// LastHandledResetAt is the last reset request annotation value handled.
	// +optional
	LastHandledResetAt string `json:"lastHandledResetAt,omitempty"`

	// Inventory lists the objects of the current release.
	// +optional
	Inventory *meta.ResourceInventory `json:"inventory,omitempty"`
}

// ClearHistory empties the history.
func (in *HelmReleaseStatus) ClearHistory() { in.History = nil }

// ClearFailures resets the failure counters.
func (in *HelmReleaseStatus) ClearFailures() {
	in.Failures, in.InstallFailures, in.UpgradeFailures = 0, 0, 0
}

// GetHelmChart splits status.helmChart into namespace and name; both are empty when it is
// not set or malformed.
func (in *HelmReleaseStatus) GetHelmChart() (namespace, name string) {
	ns, n, ok := strings.Cut(in.HelmChart, "/")
	if !ok {
		return "", ""
	}
	return ns, n
}
