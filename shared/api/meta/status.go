package meta

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ObjectStatus is the part of status every reconciled toolkit kind has. It is embedded inline,
// so its fields appear directly under status as Flux writes them.
type ObjectStatus struct {
	// ObservedGeneration is the last generation the controller reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions holds the conditions of the object.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// LastHandledReconcileAt holds the value of the most recent reconcile request
	// annotation (reconcile.fluxcd.io/requestedAt) the controller handled.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// StatusObject is a toolkit object whose status the shared runtime maintains.
// +kubebuilder:object:generate=false
type StatusObject interface {
	metav1.Object
	// GetObjectStatus returns a pointer to the object's shared status fields.
	GetObjectStatus() *ObjectStatus
	// IsSuspended reports whether spec.suspend is set.
	IsSuspended() bool
}

// GetRequestedAt returns the value of the reconcile request annotation, if any.
func GetRequestedAt(obj metav1.Object) (string, bool) {
	v, ok := obj.GetAnnotations()[ReconcileRequestAnnotation]
	return v, ok
}

// NegativePolarityObject is a toolkit object whose kind has conditions of negative polarity:
// True means something is wrong (FetchFailed, BuildFailed, StorageOperationFailed, …). A
// successful reconcile removes them, so Ready=True never stands beside one of them.
// +kubebuilder:object:generate=false
type NegativePolarityObject interface {
	// NegativePolarityConditions returns the kind's condition types of negative polarity.
	NegativePolarityConditions() []string
}

// NegativePolarityConditions returns obj's condition types of negative polarity, if its kind
// declares any.
func NegativePolarityConditions(obj any) []string {
	if n, ok := obj.(NegativePolarityObject); ok {
		return n.NegativePolarityConditions()
	}
	return nil
}
