package helmrepository

import (
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// providerAdvice is what a user of a refused spec.provider can do instead.
const providerAdvice = "use generic with the registry credentials in spec.secretRef"

// unsupportedFields are the HelmRepository fields Ferry refuses: an object setting one is
// stalled before anything is fetched, and the HelmCharts using it wait.
var unsupportedFields = []unsupported.Rule{
	// Nothing enforces the access list (Flux deprecated it unimplemented): a user relying on it
	// to keep other namespaces out would be silently unprotected. The message names the kind,
	// as it stands for every field below spec.accessFrom.
	{Path: "spec.accessFrom", Message: "spec.accessFrom is not supported by Ferry: HelmRepository access lists are not enforced; remove the field"},
	// ECR authentication with IAM workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "aws", providerAdvice),
	// ACR authentication with Azure workload or managed identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "azure", providerAdvice),
	// GAR/GCR authentication with GCP workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "gcp", providerAdvice),
}

// Refused returns an error naming the refused fields obj sets, or nil. HelmCharts do not use
// a repository Ferry refuses: an OCI repository has no artifact to hold them back.
func Refused(obj *sourcev1.HelmRepository) error {
	return unsupported.Check(obj, unsupportedFields)
}
