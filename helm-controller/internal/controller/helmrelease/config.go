package helmrelease

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// remote is the configuration Helm acts with, and what tells its credentials apart when its
// transport adds them (action.Config.Credentials).
type remote struct {
	config      *rest.Config
	credentials string
}

// restConfig returns the configuration Helm acts with for obj: the controller's own, or that
// of the cluster of spec.kubeConfig (a kubeconfig Secret, or the provider settings of a
// ConfigMap), impersonating spec.serviceAccountName (or the default service account) of the
// HelmRelease's namespace. A remote cluster is impersonated only when the HelmRelease names
// a service account.
func (r *Reconciler) restConfig(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) (remote, error) {
	obj := s.Obj
	out := remote{config: rest.CopyConfig(r.restCfg)}
	sa := obj.Spec.ServiceAccountName
	if kc := obj.Spec.KubeConfig; kc != nil {
		cluster, err := r.kubeconfigs.Load(ctx, obj.Namespace, kc)
		if err != nil {
			return remote{}, err
		}
		cfg := cluster.Config
		cfg.QPS, cfg.Burst, cfg.UserAgent = out.config.QPS, out.config.Burst, out.config.UserAgent
		out = remote{config: cfg, credentials: cluster.Ref + "/" + cluster.Fingerprint}
	} else if sa == "" {
		sa = r.defaultServiceAccount
	}
	if sa != "" {
		out.config.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", obj.Namespace, sa)}
	}
	return out, nil
}
