package ocirepository

import (
	"context"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/registry/secrets"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// clientConfig gathers the registry credentials (spec.secretRef and the image pull secrets
// of spec.serviceAccountName, or the cloud login of spec.provider, with the identity of
// spec.serviceAccountName when it names one), TLS material (spec.certSecretRef) and proxy
// (spec.proxySecretRef) of obj, as shared/registry/secrets and shared/cloud read them for
// every kind that reaches a registry.
func (r *Reconciler) clientConfig(ctx context.Context, obj *sourcev1.OCIRepository) (oci.Config, error) {
	spec := obj.Spec
	pullSecrets := spec.ServiceAccountName
	if cloud.IsCloud(spec.Provider) {
		pullSecrets = "" // the ServiceAccount is a cloud identity, not image pull secrets
	}
	reg, err := secrets.Config(ctx, r.secrets,
		secrets.NewRefs(obj.Namespace, pullSecrets, spec.SecretRef, spec.CertSecretRef, spec.ProxySecretRef))
	if err != nil {
		return oci.Config{}, err
	}
	reg.Insecure, reg.UserAgent = spec.Insecure, userAgent
	repo, err := oci.ParseURL(spec.URL, spec.Insecure)
	if err != nil {
		return oci.Config{}, err
	}
	name := cloud.ServiceAccountName(spec.Provider, spec.ServiceAccountName, r.defaultSA)
	sa, err := cloud.ObjectServiceAccount(ctx, r.secrets, r.rt.Client, spec.Provider, obj.Namespace, name)
	if err == nil {
		err = r.tokens.LoginRegistryAs(ctx, spec.Provider, repo.RegistryStr(), &reg, sa)
	}
	return oci.Config{Config: reg}, err
}
