package v1

// BuildMetadataOption asks Kustomize to record a kind of build information on the objects.
// +kubebuilder:validation:Enum=originAnnotations;transformerAnnotations
type BuildMetadataOption string

// Build metadata options.
const (
	// OriginAnnotations records the file each object came from.
	OriginAnnotations BuildMetadataOption = "originAnnotations"
	// TransformerAnnotations records the transformers that changed each object.
	TransformerAnnotations BuildMetadataOption = "transformerAnnotations"
)
