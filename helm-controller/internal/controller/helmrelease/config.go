package helmrelease

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// kubeConfigKeys are the Secret keys tried, in order, when spec.kubeConfig.secretRef names
// none.
var kubeConfigKeys = []string{"value", "value.yaml"}

// restConfig returns the configuration Helm acts with for obj: the controller's own, or the
// kubeconfig of spec.kubeConfig.secretRef, impersonating spec.serviceAccountName (or the
// default service account) of the HelmRelease's namespace. A remote cluster is impersonated
// only when the HelmRelease names a service account.
func (r *Reconciler) restConfig(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) (*rest.Config, error) {
	obj := s.Obj
	cfg := rest.CopyConfig(r.restCfg)
	sa := obj.Spec.ServiceAccountName
	if kc := obj.Spec.KubeConfig; kc != nil && kc.SecretRef != nil {
		remote, err := r.remoteConfig(ctx, obj.Namespace, kc.SecretRef.Name, kc.SecretRef.Key)
		if err != nil {
			return nil, err
		}
		remote.QPS, remote.Burst, remote.UserAgent = cfg.QPS, cfg.Burst, cfg.UserAgent
		cfg = remote
	} else if sa == "" {
		sa = r.defaultServiceAccount
	}
	if sa != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", obj.Namespace, sa)}
	}
	return cfg, nil
}

// remoteConfig reads a kubeconfig from a Secret in namespace.
func (r *Reconciler) remoteConfig(ctx context.Context, namespace, name, key string) (*rest.Config, error) {
	var secret corev1.Secret
	if err := r.apiReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &secret); err != nil {
		return nil, fmt.Errorf("failed to get kubeconfig Secret '%s/%s': %w", namespace, name, err)
	}
	keys := kubeConfigKeys
	if key != "" {
		keys = []string{key}
	}
	for _, k := range keys {
		if data, ok := secret.Data[k]; ok {
			cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
			if err != nil {
				return nil, fmt.Errorf("failed to load kubeconfig from Secret '%s/%s' key '%s': %w", namespace, name, k, err)
			}
			return cfg, nil
		}
	}
	return nil, fmt.Errorf("kubeconfig Secret '%s/%s' has no key %v", namespace, name, keys)
}
