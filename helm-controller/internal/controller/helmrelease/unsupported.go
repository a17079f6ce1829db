package helmrelease

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the HelmRelease fields Ferry accepts but does not implement: an object
// that sets one is Stalled before anything is fetched or released. Messages of rules whose
// children have rows of their own name the kind, as those rows share them.
var unsupportedFields = []unsupported.Rule{
	// Helm 3 post-renders the templates only, never the hooks (nohooks).
	{Path: "spec.postRenderStrategy", Values: []string{"combined", "separate"},
		Message: "spec.postRenderStrategy combined or separate is not supported by Ferry: hooks are never post-rendered (nohooks)"},
	// Helm 3 applies client-side: there is no server-side apply to turn on.
	{Path: "spec.install.serverSideApply", Values: []string{"true"},
		Message: "spec.install.serverSideApply true is not supported by Ferry: Helm 3 applies client-side, set it to false"},
	{Path: "spec.upgrade.serverSideApply", Values: []string{"enabled"},
		Message: "spec.upgrade.serverSideApply enabled is not supported by Ferry: Helm 3 applies client-side, use disabled or auto"},
	{Path: "spec.rollback.serverSideApply", Values: []string{"enabled"},
		Message: "spec.rollback.serverSideApply enabled is not supported by Ferry: Helm 3 applies client-side, use disabled or auto"},
}
