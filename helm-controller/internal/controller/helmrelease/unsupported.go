package helmrelease

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the HelmRelease fields Ferry accepts but does not implement: an object
// that sets one is Stalled before anything is fetched or released. Messages of rules whose
// children have rows of their own name the kind, as those rows share them.
var unsupportedFields = []unsupported.Rule{}
