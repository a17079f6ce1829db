package kustomization

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the Kustomization fields Ferry's CRD accepts but the controller does
// not implement: an object that sets one is Stalled before anything is fetched or applied.
// There are none: spec.decryption.serviceAccountName, once refused, is implemented (see
// decryptionIdentity).
var unsupportedFields []unsupported.Rule
