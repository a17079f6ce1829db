package helmchart

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the HelmChart fields Ferry refuses: an object setting one is stalled
// before any chart is pulled, packaged or served.
var unsupportedFields = []unsupported.Rule{
	// Chart signatures are not verified (neither cosign nor notation), whatever the source:
	// serving the chart would hand an unverified chart to a user who asked for verification.
	// The message names the kind, as it stands for every field below spec.verify.
	{Path: "spec.verify", Message: "spec.verify is not supported by Ferry: HelmChart signatures (cosign, notation) cannot be verified, so no chart is served"},
}
