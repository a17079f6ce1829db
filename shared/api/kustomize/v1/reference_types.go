package v1

import "github.com/ferry-gitops/ferry/shared/api/meta"

// CrossNamespaceSourceReference names the source object whose artifact a Kustomization
// builds, optionally in another namespace.
type CrossNamespaceSourceReference struct {
	// APIVersion of the source, for example source.toolkit.fluxcd.io/v1.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the source.
	// +kubebuilder:validation:Enum=OCIRepository;GitRepository;Bucket;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the source.
	// +required
	Name string `json:"name"`

	// Namespace of the source; empty means the namespace of the Kustomization.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// String returns the reference as Kind/namespace/name, or Kind/name when the namespace is
// empty.
func (in CrossNamespaceSourceReference) String() string {
	if in.Namespace == "" {
		return in.Kind + "/" + in.Name
	}
	return in.Kind + "/" + in.Namespace + "/" + in.Name
}

// Decryption says how to decrypt encrypted manifests of the build.
type Decryption struct {
	// Provider is the decryption engine.
	// +kubebuilder:validation:Enum=sops
	// +required
	Provider string `json:"provider"`

	// SecretRef names a Secret in the Kustomization's namespace holding private keys (PGP,
	// age) or cloud KMS credentials. Credentials found here are preferred over the
	// workload identity of spec.decryption.serviceAccountName.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is the ServiceAccount whose workload identity authenticates to
	// cloud KMS services, when the Secret holds no credentials for that provider.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// DecryptionProviderSOPS is the only supported value of spec.decryption.provider.
const DecryptionProviderSOPS = "sops"

// Strategies for post-build substitution (spec.postBuild.substituteStrategy).
const (
	// SubstituteWithVariables substitutes only when at least one variable is defined (the
	// behaviour when the field is empty).
	SubstituteWithVariables = "WithVariables"
	// SubstituteAlways substitutes even when no variable is defined, so that defaults such
	// as ${var:=value} are applied.
	SubstituteAlways = "Always"
)

// PostBuild describes the variable substitution run on the output of the Kustomize build.
type PostBuild struct {
	// Substitute maps variable names to values. Occurrences of ${name} in the manifests are
	// replaced, with support for bash-style defaults and string operations such as
	// ${name:=default}.
	// +optional
	Substitute map[string]string `json:"substitute,omitempty"`

	// SubstituteFrom lists ConfigMaps and Secrets whose data keys are additional variables.
	// Later entries override earlier ones; spec.postBuild.substitute overrides them all.
	// +optional
	SubstituteFrom []SubstituteReference `json:"substituteFrom,omitempty"`

	// SubstituteStrategy decides whether substitution runs when no variable is defined.
	// Empty means WithVariables.
	// +kubebuilder:validation:Enum=WithVariables;Always
	// +optional
	SubstituteStrategy string `json:"substituteStrategy,omitempty"`
}

// SubstituteReference names a ConfigMap or Secret, in the Kustomization's namespace, whose
// data holds substitution variables.
type SubstituteReference struct {
	// Kind of the object.
	// +kubebuilder:validation:Enum=Secret;ConfigMap
	// +required
	Kind string `json:"kind"`

	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Optional lets the reconciliation go on, as if the object were empty, when the object
	// does not exist.
	// +kubebuilder:default=false
	// +optional
	Optional bool `json:"optional,omitempty"`
}
