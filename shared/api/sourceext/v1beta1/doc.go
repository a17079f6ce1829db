// Package v1beta1 holds the source.extensions.fluxcd.io/v1beta1 API: the ArtifactGenerator,
// which composes new artifacts from the files of other sources and publishes each one as an
// ExternalArtifact (Flux's source-watcher API; Ferry reconciles it in source-controller). It
// imports only apimachinery and the shared meta types.
//
// +kubebuilder:object:generate=true
// +groupName=source.extensions.fluxcd.io
package v1beta1
