package kustomization

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the Kustomization fields Ferry's CRD accepts but the controller does
// not implement: an object that sets one is Stalled before anything is fetched or applied.
var unsupportedFields = []unsupported.Rule{
	// SOPS decryption reads keys and KMS credentials from spec.decryption.secretRef only: no cloud KMS workload identity.
	{Path: "spec.decryption.serviceAccountName", Message: "spec.decryption.serviceAccountName is not supported by Ferry: " +
		"no cloud KMS workload identity, put keys or KMS credentials in spec.decryption.secretRef"},
	// Secret-less remote clusters (cloud workload identity) are not implemented.
	{Path: "spec.kubeConfig.configMapRef", Message: "spec.kubeConfig.configMapRef is not supported by Ferry: " +
		"give the Kustomization a kubeconfig in spec.kubeConfig.secretRef"},
}
