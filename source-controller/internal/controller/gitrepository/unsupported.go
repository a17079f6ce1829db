package gitrepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// providerAdvice is what a user of a refused spec.provider can do instead.
const providerAdvice = "use generic with the credentials in spec.secretRef"

// unsupportedFields are the GitRepository fields Ferry refuses: an object setting one is
// stalled before anything is fetched.
var unsupportedFields = []unsupported.Rule{
	// AWS CodeCommit authentication with IAM workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "aws", providerAdvice),
	// Azure DevOps authentication with workload or managed identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "azure", providerAdvice),
	// It only names the identity of the aws and azure providers, which are refused.
	{Path: "spec.serviceAccountName", Message: "spec.serviceAccountName is not supported by Ferry: workload identity is not implemented; use spec.secretRef"},
}
