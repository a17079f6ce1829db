package bucket

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// scope is the reconcile scope of a Bucket.
type scope = reconcile.Scope[*sourcev1.Bucket]

// pass is the state one reconciliation shares between its steps.
type pass struct {
	r *Reconciler
	// cfg says how to reach the bucket.
	cfg bucket.Config
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// upToDate is set when the stored artifact already holds the listed objects.
	upToDate bool
	// index is the listing downloaded into dir; stats tell what the download did.
	index bucket.Index
	stats bucket.Stats
	dir   string
}

// checkStorage drops an artifact whose file vanished from the storage, so that it is fetched
// again, and refreshes the URL of one that is there.
func (p *pass) checkStorage(_ context.Context, s *scope) reconcile.Result {
	p.vanished = sourcecontroller.CheckStorage(p.r.storage, s.Log, s.Obj, &s.Obj.Status.Artifact, &s.Obj.Status.URL)
	return reconcile.Result{}
}

// validate stalls on a spec that cannot work until it changes: TLS settings for a provider
// other than generic, or an endpoint that is not host[:port]. Refused providers, spec.sts and
// spec.serviceAccountName are stalled by the kind's unsupported rules before this runs.
func (p *pass) validate(_ context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	if spec.CertSecretRef != nil && spec.Provider == bucket.ProviderAWS {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason,
			errors.New("spec.certSecretRef is supported for the 'generic' provider only"))
	}
	if _, _, err := bucket.ParseEndpoint(spec.Endpoint, spec.Insecure); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	return reconcile.Result{}
}

// credentials reads spec.secretRef, spec.certSecretRef and spec.proxySecretRef into the
// bucket configuration.
func (p *pass) credentials(ctx context.Context, s *scope) reconcile.Result {
	spec := &s.Obj.Spec
	p.cfg = bucket.Config{Provider: spec.Provider, Endpoint: spec.Endpoint, Insecure: spec.Insecure, Region: spec.Region}
	refs := []struct {
		ref *fluxmeta.LocalObjectReference
		set func(map[string][]byte) error
	}{
		{spec.SecretRef, p.cfg.SetCredentialsFromSecret},
		{spec.CertSecretRef, p.cfg.SetTLSFromSecret},
		{spec.ProxySecretRef, p.cfg.SetProxyFromSecret},
	}
	for _, r := range refs {
		if r.ref == nil {
			continue
		}
		data, err := sourcecontroller.SecretData(ctx, s.Client, s.Obj.Namespace, r.ref.Name)
		if err == nil {
			if err = r.set(data); err != nil {
				err = fmt.Errorf("invalid secret '%s': %w", r.ref.Name, err)
			}
		}
		if err != nil {
			conditions.MarkTrue(s.Obj, sourcev1.FetchFailedCondition, sourcev1.AuthenticationFailedReason, err.Error())
			return reconcile.Transient(sourcev1.AuthenticationFailedReason, err)
		}
	}
	return reconcile.Result{}
}

// finalize removes every artifact of the object and forgets its listing.
func (p *pass) finalize(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	res := sourcecontroller.Finalize(ctx, p.r.storage, sourcev1.BucketKind, obj)
	if res.IsDone() {
		p.r.remember(types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}, "", nil)
	}
	return res
}
