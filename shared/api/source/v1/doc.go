// Package v1 holds the source.toolkit.fluxcd.io/v1 API: the kinds that fetch content from
// Git, OCI registries, Helm repositories and object storage buckets and publish it as
// artifacts for the other controllers (GitRepository, OCIRepository, HelmRepository,
// HelmChart and Bucket), and ExternalArtifact, whose artifact another controller produces.
// It imports only apimachinery and the shared meta types.
//
// +kubebuilder:object:generate=true
// +groupName=source.toolkit.fluxcd.io
package v1
