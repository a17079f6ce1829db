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

// FieldManager is the field manager of the server-side applies this package makes (drift
// correction, CRD replacement, releases applied server-side), the name Flux's
// helm-controller gives Helm's field manager.
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
	// LegacyWait waits with Helm 3's own readiness checks (spec.waitStrategy legacy) instead
	// of kstatus, except for the kinds Checked names, which HealthChecks still decide.
	LegacyWait bool
	// Checked reports whether HealthChecks name a kind; nil names none.
	Checked func(apiVersion, kind string) bool
	// PerActionClients gives every action Kubernetes clients of its own (discovery, REST
	// mapping, HTTP transport), built when it starts, instead of the Cache's shared ones
	// (spec.persistentClient false): an action then knows nothing of the API's kinds from
	// before it started, whatever changed since.
	PerActionClients bool
}

// Client runs the actions of the releases of one storage and target namespace. A Client
// runs one action at a time; create one per reconciliation, they are cheap: the
// expensive clients are shared through the Cache (unless Config.PerActionClients).
type Client struct {
	cfg    *helmaction.Configuration
	kube   *waiter
	shared *clients
	ns     string
	opts   Config
	// used is set once an action has started with the current clients.
	used bool
	// swap names the chart that prints a prerendered release while its action runs.
	swap swap
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.RESTConfig == nil {
		return nil, errors.New("failed to create the Helm client: no REST config")
	}
	if cfg.StorageNamespace == "" || cfg.Namespace == "" {
		return nil, errors.New("failed to create the Helm client: storage and target namespaces are required")
	}
	var shared *clients
	var err error
	if cfg.PerActionClients {
		shared, err = newClients(cfg.RESTConfig)
	} else {
		cache := cfg.Cache
		if cache == nil {
			cache = defaultCache
		}
		shared, err = cache.getFor(cfg.RESTConfig, cfg.Credentials)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create the Helm client: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	c := &Client{ns: cfg.Namespace, opts: cfg}
	c.use(shared)
	return c, nil
}

// use makes the Helm configuration act through shared.
func (c *Client) use(shared *clients) {
	log := c.opts.Log
	kc := &kube.Client{Factory: &factory{Factory: shared.factory, shared: shared}, Log: log, Namespace: c.ns}
	w := &waiter{Client: kc, shared: shared, checks: c.opts.HealthChecks, legacy: c.opts.LegacyWait, checked: c.opts.Checked}
	secrets := driver.NewSecrets(shared.clientset.CoreV1().Secrets(c.opts.StorageNamespace))
	secrets.Log = log
	c.cfg = &helmaction.Configuration{
		RESTClientGetter: shared,
		Releases:         storage.Init(&swapDriver{Driver: secrets, swap: &c.swap}),
		KubeClient:       w,
		Log:              log,
		HookOutputFunc:   func(_, _, _ string) io.Writer { return io.Discard },
	}
	c.kube, c.shared, c.used = w, shared, false
}

// begin prepares the next action: with per-action clients, it builds new ones unless the
// current ones have served no action yet; it binds ctx to the action's waits, and makes it
// apply client-side unless the action says otherwise.
func (c *Client) begin(ctx context.Context) error {
	if c.opts.PerActionClients && c.used {
		shared, err := newClients(c.opts.RESTConfig)
		if err != nil {
			return fmt.Errorf("failed to create the Kubernetes clients: %w", err)
		}
		c.use(shared)
	}
	c.used = true
	c.kube.ctx = ctx
	c.kube.serverSideApply(false, false)
	return nil
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
