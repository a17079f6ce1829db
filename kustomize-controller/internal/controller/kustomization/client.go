package kustomization

import (
	"context"
	"sync"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"k8s.io/utils/lru"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/apply"
)

// clientCacheSize bounds the clients kept for impersonated service accounts and remote
// clusters; the least recently used one goes first. A client dropped is built again (a few
// milliseconds) the next time it is needed.
const clientCacheSize = 64

// ctrlMapper maps kinds to resources; the manager's mapper is shared by every local client.
type ctrlMapper = apimeta.RESTMapper

// target is the cluster and identity one Kustomization applies, prunes and checks with.
type target struct {
	client  client.Client
	manager *apply.Manager
}

// clientCache keeps one client per identity, so connections are reused across reconciles.
// An identity is a service account, or a kubeconfig Secret or ConfigMap with the service
// account it impersonates: a rotated kubeconfig, or changed ConfigMap data, replaces the
// client built from the old one.
type clientCache struct {
	mu      sync.Mutex // held while a missing client is built, so each is built once
	clients *lru.Cache
}

// cachedClient is a client and the fingerprint of what it was built from.
type cachedClient struct {
	fingerprint string
	client      client.Client
}

func newClientCache(size int) *clientCache { return &clientCache{clients: lru.New(size)} }

// get returns the client cached under key if it was built from the same fingerprint, and
// otherwise builds one with create and caches it in place of the old one.
func (c *clientCache) get(key, fingerprint string, create func() (client.Client, error)) (client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.clients.Get(key); ok && v.(cachedClient).fingerprint == fingerprint {
		return v.(cachedClient).client, nil
	}
	cl, err := create()
	if err != nil {
		return nil, err
	}
	c.clients.Add(key, cachedClient{fingerprint: fingerprint, client: cl})
	return cl, nil
}

// len is the number of clients cached.
func (c *clientCache) len() int { return c.clients.Len() }

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
	case obj.Spec.KubeConfig != nil:
		cl, err = r.remoteClient(ctx, obj, sa)
	case sa == "":
		cl = r.rt.Client
	default:
		cl, err = r.clients.get("serviceaccount/"+obj.Namespace+"/"+sa, "", func() (client.Client, error) {
			return client.New(impersonate(r.config, obj.Namespace, sa), client.Options{Scheme: r.scheme, Mapper: r.mapper})
		})
	}
	if err != nil {
		return nil, err
	}
	return &target{client: cl, manager: apply.NewManager(cl, ControllerName, applyAnnotations).Observe(r.observed)}, nil
}

// impersonate returns a copy of cfg acting as the service account ns/name.
func impersonate(cfg *rest.Config, ns, name string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + name}
	return c
}

// remoteClient builds a client of the cluster of spec.kubeConfig (a kubeconfig Secret, or
// the provider settings of a ConfigMap), cached per Secret or ConfigMap and impersonated
// service account until what it was built from changes.
func (r *Reconciler) remoteClient(ctx context.Context, obj *kustomizev1.Kustomization, sa string) (client.Client, error) {
	remote, err := r.kubeconfigs.Load(ctx, obj.Namespace, obj.Spec.KubeConfig)
	if err != nil {
		return nil, err
	}
	return r.clients.get("kubeconfig/"+remote.Ref+"/"+sa, remote.Fingerprint, func() (client.Client, error) {
		cfg := remote.Config
		if sa != "" {
			cfg = impersonate(cfg, obj.Namespace, sa)
		}
		cfg.QPS, cfg.Burst = r.config.QPS, r.config.Burst
		return client.New(cfg, client.Options{Scheme: r.scheme})
	})
}
