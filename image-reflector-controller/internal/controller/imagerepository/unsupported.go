package imagerepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the ImageRepository fields Ferry accepts and does not implement
// whatever their context (docs/api-compatibility.md lists them): none today. Workload
// identity per object (spec.serviceAccountName with a cloud provider) is refused by the
// validate step, as it depends on spec.provider.
var unsupportedFields = []unsupported.Rule{}
