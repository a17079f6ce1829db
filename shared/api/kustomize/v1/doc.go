// Package v1 holds the kustomize.toolkit.fluxcd.io/v1 API: the Kustomization kind, which
// builds a directory of a source artifact with Kustomize and applies the result to a
// cluster, together with the group's condition reasons, annotations and labels. It imports
// only apimachinery and the shared meta types.
//
// +kubebuilder:object:generate=true
// +groupName=kustomize.toolkit.fluxcd.io
package v1
