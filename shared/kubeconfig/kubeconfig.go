// Package kubeconfig turns the spec.kubeConfig of a Kustomization or a HelmRelease into the
// REST configuration of the remote cluster it names: a kubeconfig read from a Secret
// (secretRef), or, secret-less (configMapRef), the address and CA of a ConfigMap with a
// bearer token that the controller gets for each request: a ServiceAccount token of the
// TokenRequest API (provider generic), or a token of the controller's own cloud identity
// (azure for AKS, gcp for GKE, aws for EKS) from shared/cloud. Tokens are refreshed before
// they expire without building the configuration again. Impersonation
// (spec.serviceAccountName) is the caller's.
package kubeconfig

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/lru"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
)

// secretKeys are the Secret keys tried, in order, when spec.kubeConfig.secretRef names none.
var secretKeys = []string{"value", "value.yaml"}

// configCacheSize bounds the secret-less configurations kept, each with its token source.
const configCacheSize = 256

// Loader builds the configurations of remote clusters. It is safe for concurrent use; a
// controller keeps one, so that the token sources of secret-less configurations outlive a
// reconcile.
type Loader struct {
	// Reader reads Secrets and ConfigMaps (uncached).
	Reader client.Reader
	// Client requests ServiceAccount tokens (serviceaccounts/token) of the local cluster.
	Client client.Client
	// Tokens is the controller's cache of cloud tokens (manager.Options.Tokens).
	Tokens *cloud.Cache
	// DefaultServiceAccount (--default-kubeconfig-service-account) authenticates a generic
	// ConfigMap that names no serviceAccountName.
	DefaultServiceAccount string

	once    sync.Once
	mu      sync.Mutex
	configs *lru.Cache // fingerprint -> *rest.Config with its token source
}

// Cluster is the configuration of a remote cluster.
type Cluster struct {
	// Config reaches the cluster; it is the caller's to change.
	Config *rest.Config
	// Ref is "secret/<namespace>/<name>" or "configmap/<namespace>/<name>".
	Ref string
	// Fingerprint is a digest of everything Config was built from (the kubeconfig, or the
	// ConfigMap's data and the default service account): it changes when they do, and
	// holds no secret.
	Fingerprint string
}

// Load returns the configuration of the cluster that ref, in namespace, names. Errors name
// the Secret or ConfigMap and the key at fault, never a credential.
func (l *Loader) Load(ctx context.Context, namespace string, ref *fluxmeta.KubeConfigReference) (*Cluster, error) {
	switch {
	case ref == nil:
		return nil, fmt.Errorf("spec.kubeConfig is not set")
	case ref.SecretRef != nil:
		return l.fromSecret(ctx, namespace, ref.SecretRef)
	case ref.ConfigMapRef != nil:
		return l.fromConfigMap(ctx, namespace, ref.ConfigMapRef.Name)
	default:
		return nil, fmt.Errorf("spec.kubeConfig names neither a secretRef nor a configMapRef")
	}
}

// fromSecret reads a kubeconfig from a Secret: the key ref names, else "value" then
// "value.yaml".
func (l *Loader) fromSecret(ctx context.Context, namespace string, ref *fluxmeta.SecretKeyReference) (*Cluster, error) {
	var secret corev1.Secret
	if err := l.Reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &secret); err != nil {
		return nil, fmt.Errorf("failed to get kubeconfig Secret '%s/%s': %w", namespace, ref.Name, err)
	}
	keys := secretKeys
	if ref.Key != "" {
		keys = []string{ref.Key}
	}
	for _, k := range keys {
		data, ok := secret.Data[k]
		if !ok {
			continue
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
		if err != nil {
			return nil, fmt.Errorf("failed to load kubeconfig from Secret '%s/%s' key '%s': %w", namespace, ref.Name, k, err)
		}
		return &Cluster{Config: cfg, Ref: "secret/" + namespace + "/" + ref.Name, Fingerprint: digest(k, string(data))}, nil
	}
	return nil, fmt.Errorf("kubeconfig Secret '%s/%s' has no key %v", namespace, ref.Name, keys)
}

// fromConfigMap builds the configuration of a ConfigMap's provider settings, or returns the
// one built from the same settings before, so that its tokens are reused.
func (l *Loader) fromConfigMap(ctx context.Context, namespace, name string) (*Cluster, error) {
	var cm corev1.ConfigMap
	if err := l.Reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cm); err != nil {
		return nil, fmt.Errorf("failed to get kubeconfig ConfigMap '%s/%s': %w", namespace, name, err)
	}
	parts := []string{namespace, name, l.DefaultServiceAccount}
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k, cm.Data[k])
	}
	c := &Cluster{Ref: "configmap/" + namespace + "/" + name, Fingerprint: digest(parts...)}
	l.once.Do(func() { l.configs = lru.New(configCacheSize) })
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.configs.Get(c.Fingerprint); ok {
		c.Config = rest.CopyConfig(v.(*rest.Config))
		return c, nil
	}
	s, err := parseSettings(namespace, name, cm.Data, l.DefaultServiceAccount)
	if err != nil {
		return nil, err
	}
	cfg, err := l.restConfig(s)
	if err != nil {
		return nil, err
	}
	l.configs.Add(c.Fingerprint, cfg)
	c.Config = rest.CopyConfig(cfg)
	return c, nil
}

// digest is the hex SHA-256 of parts, each ended by a NUL.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
