package ocirepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// providerAdvice is what a user of a refused spec.provider can do instead.
const providerAdvice = "use generic with spec.secretRef or the image pull secrets of spec.serviceAccountName"

// unsupportedFields are the OCIRepository fields Ferry refuses: an object setting one is
// stalled before anything is pulled or served.
var unsupportedFields = []unsupported.Rule{
	// ECR authentication with IAM workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "aws", providerAdvice),
	// ACR authentication with Azure workload or managed identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "azure", providerAdvice),
	// GAR/GCR authentication with GCP workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "gcp", providerAdvice),
}
