package meta

// CustomHealthCheck decides the health of the custom resources of one kind with CEL
// expressions evaluated against each object.
type CustomHealthCheck struct {
	// APIVersion of the custom resources, for example example.com/v1.
	// +required
	APIVersion string `json:"apiVersion"`

	// Kind of the custom resources.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Current is an expression that is true when the object is healthy.
	// +required
	Current string `json:"current"`

	// InProgress is an expression that is true while the object is still progressing.
	// +optional
	InProgress string `json:"inProgress,omitempty"`

	// Failed is an expression that is true when the object has failed.
	// +optional
	Failed string `json:"failed,omitempty"`
}
