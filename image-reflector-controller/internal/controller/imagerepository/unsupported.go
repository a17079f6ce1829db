package imagerepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the ImageRepository fields Ferry accepts and does not implement
// (docs/api-compatibility.md lists them): the cloud providers' workload identity. An object
// asking for one is Stalled naming the provider, never scanned as a generic one.
var unsupportedFields = []unsupported.Rule{
	{Path: "spec.provider", Values: []string{"aws"}, Message: "spec.provider aws is not supported by Ferry: " +
		"Amazon ECR login with the controller's identity is not implemented; use provider generic with a secretRef holding an ECR token"},
	{Path: "spec.provider", Values: []string{"azure"}, Message: "spec.provider azure is not supported by Ferry: " +
		"Azure workload identity for ACR is not implemented; use provider generic with a secretRef holding ACR credentials"},
	{Path: "spec.provider", Values: []string{"gcp"}, Message: "spec.provider gcp is not supported by Ferry: " +
		"Google workload identity for Artifact Registry is not implemented; use provider generic with a secretRef holding a registry token"},
}
