package v1

// AccessFrom is an access control list of the namespaces allowed to reference an object
// across namespaces. It is part of the API for compatibility; controllers do not enforce it.
type AccessFrom struct {
	// NamespaceSelectors lists selectors of the namespaces allowed; a namespace matching any
	// of them is allowed.
	// +required
	NamespaceSelectors []NamespaceSelector `json:"namespaceSelectors"`
}

// NamespaceSelector selects namespaces by their labels.
type NamespaceSelector struct {
	// MatchLabels are the labels a namespace must all carry to be selected.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}
