package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// SourceIndexKey is the field index that maps an object to the sources it references, as
// "<kind>/<namespace>/<name>" keys (shared/runtime/sourceref writes and reads it); consumers
// use it to find the objects to wake when a source changes.
const SourceIndexKey string = ".metadata.source"

// DefaultTimeout is the timeout of remote operations when spec.timeout is not set.
const DefaultTimeout = 60 * time.Second

// Source is implemented by every kind of this group: downstream controllers use it to read
// the artifact of whichever source kind they reference.
// +kubebuilder:object:generate=false
type Source interface {
	runtime.Object
	meta.StatusObject
	// GetArtifact returns status.artifact, or nil when none has been stored yet.
	GetArtifact() *meta.Artifact
	// GetRequeueAfter returns the time until the source is checked again (spec.interval).
	GetRequeueAfter() time.Duration
}

// timeoutOrDefault returns d, or DefaultTimeout when d is not set.
func timeoutOrDefault(d *metav1.Duration) time.Duration {
	if d == nil || d.Duration == 0 {
		return DefaultTimeout
	}
	return d.Duration
}

var (
	_ Source = &GitRepository{}
	_ Source = &OCIRepository{}
	_ Source = &HelmRepository{}
	_ Source = &HelmChart{}
	_ Source = &Bucket{}
	_ Source = &ExternalArtifact{}
)
