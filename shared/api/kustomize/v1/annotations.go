package v1

// KustomizationKind is the kind name of Kustomization.
const KustomizationKind = "Kustomization"

// KustomizationFinalizer is the finalizer the controller puts on every Kustomization so that
// it can garbage-collect the applied objects before the Kustomization goes away.
const KustomizationFinalizer = "finalizers.fluxcd.io"

// MaxConditionMessageLength caps the length of a condition message written by the controller.
const MaxConditionMessageLength = 20000

// Annotations that users put on the objects of a build to change how the controller treats
// them.
const (
	// SSAAnnotation selects the server-side apply policy of an object: one of the SSA*Value
	// constants.
	SSAAnnotation = GroupName + "/ssa"
	// PruneAnnotation set to DisabledValue keeps an object in the cluster when it leaves the
	// source or when its Kustomization is deleted.
	PruneAnnotation = GroupName + "/prune"
	// ReconcileAnnotation set to DisabledValue stops the controller from changing an object
	// that already exists in the cluster.
	ReconcileAnnotation = GroupName + "/reconcile"
	// SubstituteAnnotation set to DisabledValue skips variable substitution for an object.
	SubstituteAnnotation = GroupName + "/substitute"
	// ForceAnnotation set to EnabledValue lets the controller recreate an object whose
	// immutable fields changed, even when spec.force is false.
	ForceAnnotation = GroupName + "/force"
)

// Values of the boolean-like annotations.
const (
	// EnabledValue turns the behaviour of an annotation on.
	EnabledValue = "enabled"
	// DisabledValue turns the behaviour of an annotation off.
	DisabledValue = "disabled"
)

// Values of SSAAnnotation.
const (
	// SSAOverrideValue applies the object and overrides changes made in the cluster (the
	// default).
	SSAOverrideValue = "Override"
	// SSAMergeValue applies the object but keeps fields set in the cluster by other managers.
	SSAMergeValue = "Merge"
	// SSAIfNotPresentValue creates the object only when it does not exist yet.
	SSAIfNotPresentValue = "IfNotPresent"
	// SSAIgnoreValue never applies the object.
	SSAIgnoreValue = "Ignore"
)

// Labels the controller puts on every object it applies, naming the owning Kustomization.
const (
	// NameLabel holds the name of the Kustomization that applied the object.
	NameLabel = GroupName + "/name"
	// NamespaceLabel holds the namespace of the Kustomization that applied the object.
	NamespaceLabel = GroupName + "/namespace"
)
