package bucket

import (
	"context"
	"errors"
	"fmt"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// checkStorage drops an artifact whose file vanished from the storage, so that it is fetched
// again, and re-stamps the URL of one that is there.
func (st *state) checkStorage(_ context.Context, s *scope) reconcile.Result {
	st.vanished = st.r.artifacts.Check(s)
	return reconcile.Result{}
}

// validate stalls on a spec that cannot work until it changes: TLS settings for a provider
// other than generic, an endpoint the provider cannot use, a Security Token Service the
// provider cannot use, or a ServiceAccount with provider generic, with static keys, or while
// the feature gate ObjectLevelWorkloadIdentity is off.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	if spec.CertSecretRef != nil && spec.Provider != "" && spec.Provider != bucket.ProviderGeneric {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason,
			errors.New("spec.certSecretRef is supported for the 'generic' provider only"))
	}
	if err := bucket.CheckEndpoint(spec.Provider, spec.Endpoint, spec.Insecure); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if sts := spec.STS; sts != nil {
		err := bucket.CheckSTS(spec.Provider, sts.Provider, sts.SecretRef != nil, sts.CertSecretRef != nil, spec.SecretRef != nil)
		if err != nil {
			return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
		}
	}
	if err := checkServiceAccount(spec, st.r.objectLevel); err != nil {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
	}
	return reconcile.Result{}
}

// checkServiceAccount returns why spec.serviceAccountName cannot be used, as Flux documents
// it: not with provider generic, not with spec.secretRef; with aws, azure and gcp only while
// the feature gate is on.
func checkServiceAccount(spec *sourcev1.BucketSpec, objectLevel bool) error {
	switch {
	case spec.ServiceAccountName == "":
		return nil
	case spec.Provider == "" || spec.Provider == bucket.ProviderGeneric:
		return errors.New("spec.serviceAccountName is not supported for the 'generic' Bucket provider: it names a cloud identity; use spec.secretRef or spec.sts")
	case spec.SecretRef != nil:
		return errors.New("cannot set both spec.secretRef and spec.serviceAccountName")
	}
	return cloud.CheckSpec(spec.Provider, spec.ServiceAccountName, false, objectLevel)
}

// secretUse is a referenced Secret and what reads its data into the configuration.
type secretUse struct {
	ref *fluxmeta.LocalObjectReference
	set func(map[string][]byte) error
}

// credentials reads spec.secretRef, spec.certSecretRef, spec.proxySecretRef and the
// Secrets of spec.sts into the bucket configuration; without spec.secretRef, providers azure
// and gcp use the controller's own identity, and aws, azure and gcp that of the ServiceAccount
// of spec.serviceAccountName when it names one.
func (st *state) credentials(ctx context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	st.cfg = bucket.Config{Provider: spec.Provider, Endpoint: spec.Endpoint, Insecure: spec.Insecure, Region: spec.Region}
	if spec.SecretRef == nil {
		st.cfg.Identity = st.r.tokens
	}
	refs := []secretUse{
		{spec.SecretRef, st.cfg.SetCredentialsFromSecret},
		{spec.CertSecretRef, st.cfg.SetTLSFromSecret},
		{spec.ProxySecretRef, st.cfg.SetProxyFromSecret},
	}
	if sts := spec.STS; sts != nil {
		st.cfg.STS = &bucket.STSConfig{Provider: sts.Provider, Endpoint: sts.Endpoint}
		refs = append(refs, secretUse{sts.SecretRef, st.cfg.STS.SetSTSCredentialsFromSecret},
			secretUse{sts.CertSecretRef, st.cfg.STS.SetTLSFromSecret})
	}
	for _, r := range refs {
		if r.ref == nil {
			continue
		}
		data, err := sourcecontroller.SecretData(ctx, s.Client, s.Obj.Namespace, r.ref)
		if err == nil {
			if err = r.set(data); err != nil {
				err = fmt.Errorf("invalid secret '%s': %w", r.ref.Name, err)
			}
		}
		if err != nil {
			return sourcecontroller.FetchFailed(s.Obj, false, sourcev1.AuthenticationFailedReason, err)
		}
	}
	if spec.SecretRef == nil {
		name := cloud.ServiceAccountName(spec.Provider, spec.ServiceAccountName, st.r.defaultSA)
		sa, err := cloud.ObjectServiceAccount(ctx, st.r.reader, s.Client, spec.Provider, s.Obj.Namespace, name)
		if err != nil {
			return sourcecontroller.FetchFailed(s.Obj, false, sourcev1.AuthenticationFailedReason, err)
		}
		st.cfg.ServiceAccount = sa
	}
	return reconcile.Result{}
}
