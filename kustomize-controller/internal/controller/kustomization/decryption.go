package kustomization

import (
	"context"
	"fmt"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
)

// decryptionIdentity returns the cloud identity that decrypts obj's cloud KMS keys whose
// credentials its decryption Secret lacks: the ServiceAccount of
// spec.decryption.serviceAccountName (feature gate ObjectLevelWorkloadIdentity), else the
// one of --default-decryption-service-account in obj's namespace (and never the
// controller's own identity), else the controller's own identity. The ServiceAccount is read
// only when a key needs it. Naming one with the gate off stalls obj.
func (r *Reconciler) decryptionIdentity(obj *kustomizev1.Kustomization) (decrypt.Identity, reconcile.Result) {
	id := decrypt.Identity{Tokens: r.shared.Tokens()}
	name := obj.Spec.Decryption.ServiceAccountName
	switch {
	case name != "" && !r.objectLevel:
		return id, reconcile.Stalled(fluxmeta.FeatureGateDisabledReason, fmt.Errorf("spec.decryption.serviceAccountName asks for "+
			"object-level workload identity, which is off: start the controller with --feature-gates=%s=true, or remove "+
			"spec.decryption.serviceAccountName", cloud.ObjectLevelWorkloadIdentity))
	case name == "" && r.opts.DefaultDecryptionServiceAccount == "":
		id.Controller = true
		return id, reconcile.Done("", "")
	case name == "":
		name = r.opts.DefaultDecryptionServiceAccount
		if !r.objectLevel {
			id.Refused = fmt.Sprintf("the controller's cloud identity is not used with --default-decryption-service-account, "+
				"whose ServiceAccount '%s/%s' needs the feature gate %s", obj.Namespace, name, cloud.ObjectLevelWorkloadIdentity)
			return id, reconcile.Done("", "")
		}
	}
	ns := obj.Namespace
	id.ServiceAccount = ns + "/" + name
	id.ReadServiceAccount = func(ctx context.Context) (*cloud.ServiceAccount, error) {
		return cloud.ReadServiceAccount(ctx, r.reader, r.rt.Client, ns, name)
	}
	return id, reconcile.Done("", "")
}
