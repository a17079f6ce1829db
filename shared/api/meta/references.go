package meta

// LocalObjectReference refers to an object in the same namespace by name.
type LocalObjectReference struct {
	// Name of the referent.
	// +required
	Name string `json:"name"`
}

// NamespacedObjectReference refers to an object by name, optionally in another namespace.
type NamespacedObjectReference struct {
	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the referring object.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// NamespacedObjectKindReference refers to an object by kind, name and optional namespace.
type NamespacedObjectKindReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the referring object.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// DependencyReference names an object this one depends on, optionally in another namespace,
// with an optional CEL expression deciding readiness.
type DependencyReference struct {
	// APIVersion of the referent, a Ferry extension: when set, its group must be the one of
	// Kind (kustomize.toolkit.fluxcd.io or helm.toolkit.fluxcd.io).
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent, a Ferry extension: a Kustomization may depend on a HelmRelease
	// and the reverse. Defaults to the kind of the referring object.
	// +kubebuilder:validation:Enum=Kustomization;HelmRelease
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the referring object.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// ReadyExpr is a CEL expression that decides whether the dependency is ready, in place of
	// its Ready condition. It reads the dependency as dep and the referring object as self,
	// and must return a bool.
	// +optional
	ReadyExpr string `json:"readyExpr,omitempty"`
}

// SecretKeyReference refers to a key of a Secret in the same namespace.
type SecretKeyReference struct {
	// Name of the Secret.
	// +required
	Name string `json:"name"`

	// Key in the Secret; when empty the consumer's default key is used.
	// +optional
	Key string `json:"key,omitempty"`
}

// KubeConfigReference points at a kubeconfig for a remote cluster, either in a Secret or
// built from a ConfigMap holding the provider settings.
type KubeConfigReference struct {
	// SecretRef holds the name of a Secret with a kubeconfig (key value or value.yaml by default).
	// +optional
	SecretRef *SecretKeyReference `json:"secretRef,omitempty"`

	// ConfigMapRef holds the name of a ConfigMap with the provider settings.
	// +optional
	ConfigMapRef *LocalObjectReference `json:"configMapRef,omitempty"`
}
