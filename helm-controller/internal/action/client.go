package action

import (
	"context"
	"errors"
	"fmt"
	"io"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/health"
)

// FieldManager is the field manager of the server-side applies this package makes
// (drift correction, CRD replacement).
const FieldManager = "helm-controller"

// Config says where a release lives and whom the actions act as.
type Config struct {
	// RESTConfig reaches the target cluster, already impersonating the release's service
	// account when it names one.
	RESTConfig *rest.Config
	// Credentials tells apart REST configs whose credentials their transport adds
	// (WrapTransport), which the Cache cannot see: a digest of where they come from, never
	// a credential. Empty for configs that carry theirs.
	Credentials string
	// StorageNamespace is where the release Secrets live.
	StorageNamespace string
	// Namespace is the release's target namespace, given to objects without one.
	Namespace string
	// Log receives Helm's debug messages; nil discards them.
	Log func(format string, v ...any)
	// Cache shares clients between releases of the same identity; nil uses a process-wide
	// default cache.
	Cache *Cache
	// HealthChecks decide the readiness of the kinds they name while an action waits (a
	// HelmRelease's spec.healthCheckExprs); nil leaves every kind to kstatus.
	HealthChecks *health.Checks
}

// Client runs the actions of the releases of one storage and target namespace. A Client
// runs one action at a time; create one per reconciliation, they are cheap: the
// expensive clients are shared through the Cache.
type Client struct {
	cfg    *helmaction.Configuration
	kube   *waiter
	shared *clients
	ns     string
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.RESTConfig == nil {
		return nil, errors.New("failed to create the Helm client: no REST config")
	}
	if cfg.StorageNamespace == "" || cfg.Namespace == "" {
		return nil, errors.New("failed to create the Helm client: storage and target namespaces are required")
	}
	cache := cfg.Cache
	if cache == nil {
		cache = defaultCache
	}
	shared, err := cache.getFor(cfg.RESTConfig, cfg.Credentials)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Helm client: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = func(string, ...any) {}
	}
	kc := &kube.Client{Factory: &factory{Factory: shared.factory, shared: shared}, Log: log, Namespace: cfg.Namespace}
	w := &waiter{Client: kc, shared: shared, checks: cfg.HealthChecks}
	secrets := driver.NewSecrets(shared.clientset.CoreV1().Secrets(cfg.StorageNamespace))
	secrets.Log = log
	hcfg := &helmaction.Configuration{
		RESTClientGetter: shared,
		Releases:         storage.Init(secrets),
		KubeClient:       w,
		Log:              log,
		HookOutputFunc:   func(_, _, _ string) io.Writer { return io.Discard },
	}
	return &Client{cfg: hcfg, kube: w, shared: shared, ns: cfg.Namespace}, nil
}

// begin binds ctx to the waits of the next action.
func (c *Client) begin(ctx context.Context) {
	c.kube.ctx = ctx
}

// Reader returns a client that reads the cluster directly as the release's identity, for
// health checks of the release's objects.
func (c *Client) Reader() client.Reader { return c.shared.client }

// LastRelease returns the release's latest revision, whatever its status, or nil when the
// release has no revision in storage.
func (c *Client) LastRelease(name string) (*release.Release, error) {
	rel, err := c.cfg.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the last revision of release %s: %w", name, err)
	}
	return rel, nil
}

// History returns up to max revisions of the release, newest first; max zero returns all.
// A release without revisions has an empty history.
func (c *Client) History(name string, max int) ([]*release.Release, error) {
	h, err := c.cfg.Releases.History(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the history of release %s: %w", name, err)
	}
	releaseutil.Reverse(h, releaseutil.SortByRevision)
	if max > 0 && len(h) > max {
		h = h[:max]
	}
	return h, nil
}
