package meta

// Condition types shared by every toolkit kind. They follow kstatus: Ready is the summary,
// Reconciling is True while work is in progress, Stalled is True when no progress is possible
// until the spec changes.
const (
	// ReadyCondition indicates the object is in the state its spec asks for.
	ReadyCondition string = "Ready"
	// ReconcilingCondition indicates the controller is working on the object.
	ReconcilingCondition string = "Reconciling"
	// StalledCondition indicates the controller cannot make progress without a spec change.
	StalledCondition string = "Stalled"
	// HealthyCondition indicates the objects a Kustomization or HelmRelease applied are healthy.
	HealthyCondition string = "Healthy"
)

// Reasons shared by every toolkit kind.
const (
	// SucceededReason signals that a reconciliation succeeded.
	SucceededReason string = "Succeeded"
	// FailedReason signals that a reconciliation failed.
	FailedReason string = "Failed"
	// ProgressingReason signals that a reconciliation is in progress.
	ProgressingReason string = "Progressing"
	// ProgressingWithRetryReason signals that a reconciliation is being retried after a failure.
	ProgressingWithRetryReason string = "ProgressingWithRetry"
	// SuspendedReason signals that reconciliation is suspended by spec.suspend.
	SuspendedReason string = "Suspended"
	// FeatureGateDisabledReason signals that the spec asks for a feature whose gate is off in
	// the controller.
	FeatureGateDisabledReason string = "FeatureGateDisabled"
	// ReconciliationSucceededReason signals that the object was reconciled.
	ReconciliationSucceededReason string = "ReconciliationSucceeded"
	// ReconciliationFailedReason signals that the reconciliation failed.
	ReconciliationFailedReason string = "ReconciliationFailed"
	// DependencyNotReadyReason signals that a dependency of the object is not ready.
	DependencyNotReadyReason string = "DependencyNotReady"
	// InvalidCELExpressionReason signals that a CEL expression of the spec does not compile or
	// does not return what it must.
	InvalidCELExpressionReason string = "InvalidCELExpression"
	// InvalidPathReason signals that a path in the spec is invalid.
	InvalidPathReason string = "InvalidPath"
	// InvalidURLReason signals that a URL in the spec is invalid.
	InvalidURLReason string = "InvalidURL"
	// UnsupportedSpecReason signals that the spec asks for something the controller cannot do.
	UnsupportedSpecReason string = "UnsupportedSpec"
	// AccessDeniedReason signals a cross-namespace reference forbidden by the controller's flags.
	AccessDeniedReason string = "AccessDenied"
	// HealthCheckFailedReason signals that a health check failed.
	HealthCheckFailedReason string = "HealthCheckFailed"
	// ArtifactFailedReason signals that an artifact could not be fetched or stored.
	ArtifactFailedReason string = "ArtifactFailed"
	// ArtifactOutdatedReason signals that the stored artifact no longer matches the spec.
	ArtifactOutdatedReason string = "ArtifactOutdated"
	// BuildFailedReason signals that building from a source failed.
	BuildFailedReason string = "BuildFailed"
	// DeletionFailedReason signals that clean-up on deletion failed.
	DeletionFailedReason string = "DeletionFailed"
)
