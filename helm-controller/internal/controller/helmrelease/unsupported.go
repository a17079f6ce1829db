package helmrelease

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the HelmRelease fields Ferry accepts but does not implement: an object
// that sets one is Stalled before anything is fetched or released. Messages of rules whose
// children have rows of their own name the kind, as those rows share them.
var unsupportedFields = []unsupported.Rule{
	// Helm 3 post-renders the templates only, never the hooks (nohooks).
	{Path: "spec.postRenderStrategy", Values: []string{"combined", "separate"},
		Message: "spec.postRenderStrategy combined or separate is not supported by Ferry: hooks are never post-rendered (nohooks)"},
}
