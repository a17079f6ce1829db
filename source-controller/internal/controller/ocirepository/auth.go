package ocirepository

import (
	"context"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/registry/secrets"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// clientConfig gathers the registry credentials (spec.secretRef and the image pull secrets
// of spec.serviceAccountName), TLS material (spec.certSecretRef) and proxy
// (spec.proxySecretRef) of obj, as shared/registry/secrets reads them for every kind that
// reaches a registry.
func (r *Reconciler) clientConfig(ctx context.Context, obj *sourcev1.OCIRepository) (oci.Config, error) {
	spec := obj.Spec
	reg, err := secrets.Config(ctx, r.secrets,
		secrets.NewRefs(obj.Namespace, spec.ServiceAccountName, spec.SecretRef, spec.CertSecretRef, spec.ProxySecretRef))
	reg.Insecure, reg.UserAgent = spec.Insecure, userAgent
	return oci.Config{Config: reg}, err
}
