package v2

import "github.com/ferry-gitops/ferry/shared/api/meta"

// Condition types a HelmRelease reports besides the shared Ready, Reconciling and Stalled.
const (
	// ReleasedCondition tells whether the last Helm install or upgrade for the current desired
	// state succeeded.
	ReleasedCondition string = "Released"

	// TestSuccessCondition tells whether the last Helm test run for the current desired state
	// succeeded.
	TestSuccessCondition string = "TestSuccess"

	// RemediatedCondition is True after a failed release was remediated by a rollback or an
	// uninstall; its reason says which and whether it worked.
	RemediatedCondition string = "Remediated"

	// DriftedCondition tells whether drift detection found the cluster state to differ from
	// the manifest of the release in the Helm storage.
	DriftedCondition string = "Drifted"
)

// Reasons of the HelmRelease conditions.
const (
	// InstallSucceededReason signals that a Helm install succeeded.
	InstallSucceededReason string = "InstallSucceeded"

	// InstallFailedReason signals that a Helm install failed.
	InstallFailedReason string = "InstallFailed"

	// UpgradeSucceededReason signals that a Helm upgrade succeeded.
	UpgradeSucceededReason string = "UpgradeSucceeded"

	// UpgradeFailedReason signals that a Helm upgrade failed.
	UpgradeFailedReason string = "UpgradeFailed"

	// TestSucceededReason signals that the Helm tests of the release passed.
	TestSucceededReason string = "TestSucceeded"

	// TestFailedReason signals that at least one Helm test of the release failed.
	TestFailedReason string = "TestFailed"

	// RollbackSucceededReason signals that a Helm rollback succeeded.
	RollbackSucceededReason string = "RollbackSucceeded"

	// RollbackFailedReason signals that a Helm rollback failed.
	RollbackFailedReason string = "RollbackFailed"

	// UninstallSucceededReason signals that a Helm uninstall succeeded.
	UninstallSucceededReason string = "UninstallSucceeded"

	// UninstallFailedReason signals that a Helm uninstall failed.
	UninstallFailedReason string = "UninstallFailed"

	// ArtifactFailedReason signals that the chart artifact could not be fetched or loaded.
	ArtifactFailedReason string = meta.ArtifactFailedReason

	// InitFailedReason signals that the Helm action configuration could not be set up.
	InitFailedReason string = "InitFailed"

	// GetLastReleaseFailedReason signals that the latest release could not be read from the
	// Helm storage.
	GetLastReleaseFailedReason string = "GetLastReleaseFailed"

	// DependencyNotReadyReason signals that a HelmRelease in spec.dependsOn is not ready.
	DependencyNotReadyReason string = meta.DependencyNotReadyReason

	// ReconciliationSucceededReason signals that the reconciliation succeeded.
	ReconciliationSucceededReason string = meta.ReconciliationSucceededReason

	// ReconciliationFailedReason signals that the reconciliation failed.
	ReconciliationFailedReason string = meta.ReconciliationFailedReason

	// RetriesExceededReason is the Stalled reason once the install or upgrade remediation has
	// no retries left.
	RetriesExceededReason string = "RetriesExceeded"

	// DriftDetectedReason signals that the cluster state differs from the release manifest.
	DriftDetectedReason string = "DriftDetected"

	// NoDriftDetectedReason signals that the cluster state matches the release manifest.
	NoDriftDetectedReason string = "NoDriftDetected"
)
