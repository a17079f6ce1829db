// Package v1 holds the API types of the image.toolkit.fluxcd.io group, version v1:
// ImageRepository (a registry repository whose tags are scanned), ImagePolicy (the rule
// that elects the latest image from those tags) and ImageUpdateAutomation (the job that
// writes elected images back into Git). It imports only apimachinery and the meta package.
//
// +kubebuilder:object:generate=true
// +groupName=image.toolkit.fluxcd.io
package v1
