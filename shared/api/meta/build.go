package meta

// CommonMetadata holds labels and annotations to set on every object a controller applies.
type CommonMetadata struct {
	// Annotations to set on every object.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Labels to set on every object.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// Patch is an inline strategic-merge or JSON 6902 patch and the objects it applies to.
type Patch struct {
	// Patch is the patch document: a partial object for a strategic-merge patch, or a list
	// of JSON 6902 operations.
	// +required
	Patch string `json:"patch"`

	// Target selects the objects to patch; when empty, a strategic-merge patch applies to
	// the object with the same kind and name.
	// +optional
	Target *Selector `json:"target,omitempty"`
}

// Selector picks objects of a build or release. An object is picked when it matches every field that
// is set.
type Selector struct {
	// Group is the API group of the objects.
	// +optional
	Group string `json:"group,omitempty"`

	// Version is the API version of the objects.
	// +optional
	Version string `json:"version,omitempty"`

	// Kind of the objects.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Namespace of the objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the objects; a regular expression.
	// +optional
	Name string `json:"name,omitempty"`

	// AnnotationSelector is a label-selector expression evaluated against the annotations
	// of the objects.
	// +optional
	AnnotationSelector string `json:"annotationSelector,omitempty"`

	// LabelSelector is a label-selector expression evaluated against the labels of the
	// objects.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
}

// Image changes the name, tag or digest of the container images with a given name.
type Image struct {
	// Name is the image name, without tag or digest, to look for.
	// +required
	Name string `json:"name"`

	// NewName replaces the image name.
	// +optional
	NewName string `json:"newName,omitempty"`

	// NewTag replaces the image tag.
	// +optional
	NewTag string `json:"newTag,omitempty"`

	// Digest replaces the image tag with a digest; NewTag is then ignored.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// IgnoreRule names fields, as JSON pointers, that the controller leaves alone on the objects
// picked by the target.
type IgnoreRule struct {
	// Paths are JSON pointers (RFC 6901) to the ignored fields.
	// +required
	Paths []string `json:"paths"`

	// Target picks the objects the rule applies to; when empty, it applies to every object.
	// +optional
	Target *Selector `json:"target,omitempty"`
}
