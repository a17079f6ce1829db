package meta

// Annotations and labels understood across the toolkit.
const (
	// ReconcileRequestAnnotation asks for a reconcile now; its value is echoed in
	// status.lastHandledReconcileAt once handled.
	ReconcileRequestAnnotation string = "reconcile.fluxcd.io/requestedAt"
	// ForceRequestAnnotation asks a HelmRelease for a one-off forced upgrade.
	ForceRequestAnnotation string = "reconcile.fluxcd.io/forceAt"
	// ResetRequestAnnotation asks a HelmRelease to reset its failure counters.
	ResetRequestAnnotation string = "reconcile.fluxcd.io/resetAt"
	// ShardingKeyLabel assigns an object to a controller shard.
	ShardingKeyLabel string = "sharding.fluxcd.io/key"
	// RevisionAnnotation carries a revision in event metadata.
	RevisionAnnotation string = "revision"
)
