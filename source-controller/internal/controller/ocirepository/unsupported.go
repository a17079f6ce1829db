package ocirepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the OCIRepository fields Ferry refuses whatever their context: none
// today. Object-level workload identity (spec.serviceAccountName with a cloud provider) is
// checked by the validate step, as it depends on spec.provider and the feature gate
// ObjectLevelWorkloadIdentity.
var unsupportedFields = []unsupported.Rule{}
