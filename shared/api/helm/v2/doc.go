// Package v2 holds the API types of the helm.toolkit.fluxcd.io/v2 group: the HelmRelease
// kind, its condition types and reasons, and the annotations and labels the helm-controller
// reads and writes. The types are wire compatible with Flux's HelmRelease v2.
//
// +kubebuilder:object:generate=true
// +groupName=helm.toolkit.fluxcd.io
package v2
