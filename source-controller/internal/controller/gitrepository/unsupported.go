package gitrepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the GitRepository fields Ferry refuses: an object setting one is
// stalled before anything is fetched. There is none: spec.provider and
// spec.serviceAccountName (object-level workload identity of provider aws or azure) are
// checked by the validate step, against the repository's URL and the feature gate
// ObjectLevelWorkloadIdentity.
var unsupportedFields = []unsupported.Rule{}
