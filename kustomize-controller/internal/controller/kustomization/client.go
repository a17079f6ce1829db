package kustomization

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/apply"
)

// ctrlMapper maps kinds to resources; the manager's mapper is shared by every local client.
type ctrlMapper = apimeta.RESTMapper

// target is the cluster and identity one Kustomization applies, prunes and checks with.
type target struct {
	client  client.Client
	manager *apply.Manager
}

// clientCache keeps one client per identity, so connections are reused across reconciles.
type clientCache struct {
	mu      sync.Mutex
	clients map[string]client.Client
}

func newClientCache() *clientCache { return &clientCache{clients: map[string]client.Client{}} }

// get returns the client cached under key, creating it with create.
func (c *clientCache) get(key string, create func() (client.Client, error)) (client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cl, err := create()
	if err != nil {
		return nil, err
	}
	c.clients[key] = cl
	return cl, nil
}

// target returns the client obj applies with: the manager's own, or one impersonating
// spec.serviceAccountName (--default-service-account when empty), on the cluster of
// spec.kubeConfig when set.
func (r *Reconciler) target(ctx context.Context, obj *kustomizev1.Kustomization) (*target, error) {
	sa := obj.Spec.ServiceAccountName
	if sa == "" && obj.Spec.KubeConfig == nil {
		sa = r.shared.DefaultServiceAccount
	}
	var cl client.Client
	var err error
	switch {
	case obj.Spec.KubeConfig != nil && obj.Spec.KubeConfig.SecretRef != nil:
		cl, err = r.remoteClient(ctx, obj, sa)
	case obj.Spec.KubeConfig != nil:
		// spec.kubeConfig.configMapRef is refused before any step runs; a deletion still
		// gets here, and must not fall back to the local cluster.
		err = fmt.Errorf("spec.kubeConfig names no kubeconfig Secret: set spec.kubeConfig.secretRef")
	case sa == "":
		cl = r.rt.Client
	default:
		cl, err = r.clients.get(obj.Namespace+"/"+sa, func() (client.Client, error) {
			return client.New(impersonate(r.config, obj.Namespace, sa), client.Options{Scheme: r.scheme, Mapper: r.mapper})
		})
	}
	if err != nil {
		return nil, err
	}
	return &target{client: cl, manager: apply.NewManager(cl, ControllerName, applyAnnotations)}, nil
}

// impersonate returns a copy of cfg acting as the service account ns/name.
func impersonate(cfg *rest.Config, ns, name string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + name}
	return c
}

// remoteClient builds a client from the kubeconfig in spec.kubeConfig.secretRef (key
// "value" or "value.yaml" unless one is named), cached per version of the Secret.
func (r *Reconciler) remoteClient(ctx context.Context, obj *kustomizev1.Kustomization, sa string) (client.Client, error) {
	ref := obj.Spec.KubeConfig.SecretRef
	var secret corev1.Secret
	if err := r.reader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: ref.Name}, &secret); err != nil {
		return nil, fmt.Errorf("failed to get the kubeconfig Secret '%s/%s': %w", obj.Namespace, ref.Name, err)
	}
	var data []byte
	keys := []string{"value", "value.yaml"}
	if ref.Key != "" {
		keys = []string{ref.Key}
	}
	for _, k := range keys {
		if v, ok := secret.Data[k]; ok {
			data = v
			break
		}
	}
	if data == nil {
		return nil, fmt.Errorf("the kubeconfig Secret '%s/%s' has no key %v", obj.Namespace, ref.Name, keys)
	}
	key := fmt.Sprintf("kubeconfig/%s/%s@%s/%s", obj.Namespace, ref.Name, secret.ResourceVersion, sa)
	return r.clients.get(key, func() (client.Client, error) {
		cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
		if err != nil {
			return nil, fmt.Errorf("failed to load the kubeconfig of Secret '%s/%s': %w", obj.Namespace, ref.Name, err)
		}
		if sa != "" {
			cfg = impersonate(cfg, obj.Namespace, sa)
		}
		cfg.QPS, cfg.Burst = r.config.QPS, r.config.Burst
		return client.New(cfg, client.Options{Scheme: r.scheme})
	})
}
