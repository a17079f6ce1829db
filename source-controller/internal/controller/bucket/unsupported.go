package bucket

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// providerAdvice is what a user of a refused spec.provider can do instead.
const providerAdvice = "use generic (any S3-compatible API) or aws, with static keys in spec.secretRef"

// unsupportedFields are the Bucket fields Ferry refuses: an object setting one is stalled
// before anything is listed or downloaded.
var unsupportedFields = []unsupported.Rule{
	// Google Cloud Storage's own API and workload identity are not implemented.
	sourcecontroller.RefuseValue("spec.provider", "gcp", providerAdvice),
	// Azure Blob Storage's API and its identities are not implemented.
	sourcecontroller.RefuseValue("spec.provider", "azure", providerAdvice),
	// Temporary credentials from a Security Token Service (aws or ldap) are not implemented.
	// The message names the kind, as it stands for every field below spec.sts.
	{Path: "spec.sts", Message: "spec.sts is not supported by Ferry: Bucket credentials from a Security Token Service are not implemented; use static keys in spec.secretRef"},
	// Workload identity per object is not implemented.
	{Path: "spec.serviceAccountName", Message: "spec.serviceAccountName is not supported by Ferry: workload identity per object is not implemented; use static keys in spec.secretRef"},
}
