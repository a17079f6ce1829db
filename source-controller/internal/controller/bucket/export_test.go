package bucket

// NewReconciler returns a Reconciler that remembers nothing, as one in a restarted
// controller does.
var NewReconciler = newReconciler
