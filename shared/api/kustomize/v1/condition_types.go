package v1

import "github.com/ferry-gitops/ferry/shared/api/meta"

// HealthyCondition reports the result of the last health assessment of the applied
// objects. It is the shared meta condition, repeated here for the group's callers.
const HealthyCondition = meta.HealthyCondition

// Reasons of the Kustomization conditions. Most are the toolkit-wide reasons of the meta
// package, repeated here so that the controller finds every reason it sets in one place.
const (
	// PruneFailedReason signals that deleting objects that left the source failed.
	PruneFailedReason string = "PruneFailed"
	// ArtifactFailedReason signals that the source artifact could not be downloaded or
	// extracted.
	ArtifactFailedReason = meta.ArtifactFailedReason
	// BuildFailedReason signals that the Kustomize build, the decryption or the variable
	// substitution failed.
	BuildFailedReason = meta.BuildFailedReason
	// HealthCheckFailedReason signals that the applied objects did not become healthy
	// within the timeout.
	HealthCheckFailedReason = meta.HealthCheckFailedReason
	// DependencyNotReadyReason signals that an object listed in spec.dependsOn is not ready.
	DependencyNotReadyReason = meta.DependencyNotReadyReason
	// ReconciliationSucceededReason signals that the build was applied and, when asked,
	// found healthy.
	ReconciliationSucceededReason = meta.ReconciliationSucceededReason
	// ReconciliationFailedReason signals that applying the build failed.
	ReconciliationFailedReason = meta.ReconciliationFailedReason
	// ProgressingWithRetryReason signals that a failed reconciliation is being retried.
	ProgressingWithRetryReason = meta.ProgressingWithRetryReason
)
