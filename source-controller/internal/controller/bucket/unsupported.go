package bucket

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the Bucket fields Ferry refuses whatever their context: none today.
// spec.sts and spec.serviceAccountName are checked by the validate step, as what they may
// be combined with depends on spec.provider (and, for a ServiceAccount, on the feature gate
// ObjectLevelWorkloadIdentity).
var unsupportedFields = []unsupported.Rule{}
