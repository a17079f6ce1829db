package gitrepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// providerAdvice is what a user of a refused spec.provider can do instead.
const providerAdvice = "use generic with the credentials in spec.secretRef, or azure or github"

// unsupportedFields are the GitRepository fields Ferry refuses: an object setting one is
// stalled before anything is fetched.
var unsupportedFields = []unsupported.Rule{
	// AWS CodeCommit authentication with IAM workload identity is not implemented.
	sourcecontroller.RefuseValue("spec.provider", "aws", providerAdvice),
	// spec.serviceAccountName (object-level workload identity of provider azure) is checked
	// by the validate step against the feature gate ObjectLevelWorkloadIdentity.
}
