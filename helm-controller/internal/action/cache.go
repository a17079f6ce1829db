package action

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// DefaultCacheSize is how many cluster identities a Cache keeps clients for when NewCache
// is given zero.
const DefaultCacheSize = 64

// Cache shares Kubernetes clients between the releases of one cluster identity (API server,
// credentials and impersonation): one HTTP client, one lazily filled REST mapper, one
// memory-cached discovery client and at most one parsed OpenAPI schema, instead of one of
// each per release and per action as Helm's default client builds them. It is safe for
// concurrent use.
type Cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]*clients
	order   []string
}

// NewCache returns a Cache that keeps the clients of at most size identities, dropping the
// least recently used beyond that; size zero means DefaultCacheSize.
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, entries: map[string]*clients{}}
}

// defaultCache serves the Configs that name no Cache.
var defaultCache = NewCache(0)

// clients are the Kubernetes clients shared by the releases of one identity.
type clients struct {
	config    *rest.Config
	mapper    meta.RESTMapper
	discovery discovery.CachedDiscoveryInterface
	clientset *kubernetes.Clientset
	client    client.Client
	factory   cmdutil.Factory
	validator *sharedValidator
}

// get returns the shared clients of cfg's identity, creating them on first use.
func (c *Cache) get(cfg *rest.Config) (*clients, error) { return c.getFor(cfg, "") }

// getFor is get for a cfg whose credentials identity cannot see (tokens its WrapTransport
// adds): credentials tells them apart, without holding them.
func (c *Cache) getFor(cfg *rest.Config, credentials string) (*clients, error) {
	key := identity(cfg)
	if credentials != "" {
		key += "/" + credentials
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.touch(key)
		return e, nil
	}
	e, err := newClients(cfg)
	if err != nil {
		return nil, err
	}
	c.entries[key] = e
	c.order = append(c.order, key)
	for len(c.order) > c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	return e, nil
}

// touch moves key to the most recently used end.
func (c *Cache) touch(key string) {
	for i, k := range c.order {
		if k == key {
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), key)
			return
		}
	}
}

// newClients builds the clients of one identity.
func newClients(in *rest.Config) (*clients, error) {
	cfg := rest.CopyConfig(in)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the HTTP client: %w", err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("failed to create the REST mapper: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("failed to create the discovery client: %w", err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("failed to create the clientset: %w", err)
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Mapper: mapper})
	if err != nil {
		return nil, fmt.Errorf("failed to create the client: %w", err)
	}
	e := &clients{config: cfg, mapper: mapper,
		discovery: memory.NewMemCacheClient(dc), clientset: cs, client: c}
	e.factory = cmdutil.NewFactory(e)
	e.validator = &sharedValidator{getter: e}
	return e, nil
}

// identity returns a digest of what makes two REST configs act as the same user on the
// same API server.
func identity(cfg *rest.Config) string {
	h := sha256.New()
	imp := cfg.Impersonate
	groups := append([]string(nil), imp.Groups...)
	sort.Strings(groups)
	extra := make([]string, 0, len(imp.Extra))
	for k, v := range imp.Extra {
		extra = append(extra, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(extra)
	tls := cfg.TLSClientConfig
	for _, part := range []any{cfg.Host, cfg.APIPath, cfg.Username, cfg.Password, cfg.BearerToken,
		cfg.BearerTokenFile, imp.UserName, imp.UID, groups, extra, tls.Insecure, tls.ServerName,
		tls.CertFile, tls.KeyFile, tls.CAFile, tls.CertData, tls.KeyData, tls.CAData} {
		fmt.Fprintf(h, "%v\x00", part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ToRESTConfig returns a copy of the identity's REST config: kubectl's resource builder
// sets the group version and serializer on the config it is given.
func (e *clients) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(e.config), nil }

// ToDiscoveryClient returns the shared memory-cached discovery client.
func (e *clients) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return e.discovery, nil
}

// ToRESTMapper returns the shared lazily filled REST mapper, which reloads a group when it
// meets a kind it does not know (a CRD installed since).
func (e *clients) ToRESTMapper() (meta.RESTMapper, error) { return e.mapper, nil }

// ToRawKubeConfigLoader returns an empty loader: every client of this package names its
// namespace, so none falls back to a kubeconfig's.
func (e *clients) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewDefaultClientConfig(*clientcmdapi.NewConfig(), &clientcmd.ConfigOverrides{})
}

var _ genericclioptions.RESTClientGetter = (*clients)(nil)
