package bucket

import (
	"context"
	"errors"
	"fmt"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
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
// other than generic, or an endpoint the provider cannot use. spec.sts and
// spec.serviceAccountName are stalled by the kind's unsupported rules before this runs.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	if spec.CertSecretRef != nil && spec.Provider != "" && spec.Provider != bucket.ProviderGeneric {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason,
			errors.New("spec.certSecretRef is supported for the 'generic' provider only"))
	}
	if err := bucket.CheckEndpoint(spec.Provider, spec.Endpoint, spec.Insecure); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	return reconcile.Result{}
}

// credentials reads spec.secretRef, spec.certSecretRef and spec.proxySecretRef into the
// bucket configuration; without spec.secretRef, providers azure and gcp use the
// controller's own identity.
func (st *state) credentials(ctx context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	st.cfg = bucket.Config{Provider: spec.Provider, Endpoint: spec.Endpoint, Insecure: spec.Insecure, Region: spec.Region}
	if spec.SecretRef == nil {
		st.cfg.Identity = st.r.tokens
	}
	refs := []struct {
		ref *fluxmeta.LocalObjectReference
		set func(map[string][]byte) error
	}{
		{spec.SecretRef, st.cfg.SetCredentialsFromSecret},
		{spec.CertSecretRef, st.cfg.SetTLSFromSecret},
		{spec.ProxySecretRef, st.cfg.SetProxyFromSecret},
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
	return reconcile.Result{}
}
