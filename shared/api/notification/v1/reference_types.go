package v1

// CrossNamespaceObjectReference names toolkit objects of one kind, optionally in another
// namespace: one object by name, or all objects (name "*") optionally narrowed by labels.
type CrossNamespaceObjectReference struct {
	// APIVersion of the objects.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the objects.
	// +kubebuilder:validation:Enum=Bucket;GitRepository;Kustomization;HelmRelease;HelmChart;HelmRepository;ImageRepository;ImagePolicy;ImageUpdateAutomation;OCIRepository;ArtifactGenerator;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the object, or "*" for every object of the kind.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the objects; empty means the namespace of the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// MatchLabels narrows a "*" name to the objects carrying all of these labels.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}
