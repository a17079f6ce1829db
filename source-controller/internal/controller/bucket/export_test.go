package bucket

// NewReconciler returns a Reconciler that is not registered with a manager, for tests that
// reconcile an object once with other options (a feature gate off).
var NewReconciler = newReconciler
