package meta

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Artifact is the output of a source reconciliation: a file served by the source-controller.
type Artifact struct {
	// Path is the relative file path of the artifact in the storage.
	// +required
	Path string `json:"path"`

	// URL is the HTTP address of the artifact as served by the controller.
	// +required
	URL string `json:"url"`

	// Revision is a human-readable identifier of the artifact's origin, such as a Git
	// commit (main@sha1:<hash>), a chart version or an OCI digest.
	// +required
	Revision string `json:"revision"`

	// Digest is the digest of the file, in the form '<algorithm>:<checksum>'.
	// +required
	// +kubebuilder:validation:Pattern="^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
	Digest string `json:"digest"`

	// LastUpdateTime is when the artifact last changed.
	// +required
	LastUpdateTime metav1.Time `json:"lastUpdateTime"`

	// Size is the number of bytes of the file.
	// +optional
	Size *int64 `json:"size,omitempty"`

	// Metadata holds upstream information such as OCI annotations.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// HasRevision reports whether the artifact has the given revision.
func (in *Artifact) HasRevision(revision string) bool {
	return in != nil && in.Revision == revision
}

// HasDigest reports whether the artifact has the given digest.
func (in *Artifact) HasDigest(digest string) bool {
	return in != nil && in.Digest == digest
}
