package bucket

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the Bucket fields Ferry refuses: an object setting one is stalled
// before anything is listed or downloaded.
var unsupportedFields = []unsupported.Rule{
	// Temporary credentials from a Security Token Service (aws or ldap) are not implemented.
	// The message names the kind, as it stands for every field below spec.sts.
	{Path: "spec.sts", Message: "spec.sts is not supported by Ferry: Bucket credentials from a Security Token Service are not implemented; use static keys in spec.secretRef"},
	// Workload identity per object is not implemented.
	{Path: "spec.serviceAccountName", Message: "spec.serviceAccountName is not supported by Ferry: workload identity per object is not implemented; use static keys in spec.secretRef"},
}
