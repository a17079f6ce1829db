package kustomization

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the Kustomization fields Ferry's CRD accepts but the controller does
// not implement: an object that sets one is Stalled before anything is fetched or applied.
var unsupportedFields = []unsupported.Rule{
	// SOPS decryption reads keys and KMS credentials from spec.decryption.secretRef only: no cloud KMS workload identity.
	{Path: "spec.decryption.serviceAccountName", Message: "spec.decryption.serviceAccountName is not supported by Ferry: " +
		"no cloud KMS workload identity, put keys or KMS credentials in spec.decryption.secretRef"},
}
