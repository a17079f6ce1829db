package ocirepository

import (
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the OCIRepository fields Ferry refuses whatever their context: none
// today. Workload identity per object (spec.serviceAccountName with a cloud provider) is
// refused by the validate step, as it depends on spec.provider.
var unsupportedFields = []unsupported.Rule{}
