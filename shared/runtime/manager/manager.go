package manager

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// RuntimeNamespaceEnv names the environment variable holding the controller's own namespace,
// watched alone when --watch-all-namespaces=false.
const RuntimeNamespaceEnv = "RUNTIME_NAMESPACE"

// Setup describes the controller being started.
type Setup struct {
	// Name is the controller's name: field manager, event source and leader-election prefix.
	Name string
	// Scheme holds every type the controller reads or writes.
	Scheme *runtime.Scheme
	// Kinds are the controller's own kinds, to which --watch-label-selector applies.
	Kinds []client.Object
	// Config overrides the cluster configuration; nil reads KUBECONFIG or the in-cluster config.
	Config *rest.Config
	// SkipNameValidation lets several managers register controllers of the same name in one
	// process, as tests that restart a controller do.
	SkipNameValidation bool
	// ServesEvents means --events-addr is where this controller listens for events, so its
	// own events are recorded in the API only.
	ServesEvents bool
}

// Logger builds the logger the flags ask for and installs it for controller-runtime and klog.
func (o *Options) Logger() (logr.Logger, error) {
	level, err := zapcore.ParseLevel(o.LogLevel)
	if o.LogLevel == "trace" {
		level, err = zapcore.Level(-2), nil
	}
	if err != nil {
		return logr.Discard(), fmt.Errorf("failed to parse --log-level: %w", err)
	}
	zo := []zap.Opts{zap.Level(level)}
	switch o.LogEncoding {
	case "json":
		zo = append(zo, zap.JSONEncoder())
	case "console":
		zo = append(zo, zap.ConsoleEncoder())
	default:
		return logr.Discard(), fmt.Errorf("unknown --log-encoding %q: use json or console", o.LogEncoding)
	}
	log := zap.New(zo...)
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	return log, nil
}

// New builds the manager and the shared runtime for one controller.
func New(o *Options, s Setup) (ctrl.Manager, *reconcile.Runtime, error) {
	cfg := s.Config
	if cfg == nil {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return nil, nil, fmt.Errorf("failed to load cluster config: %w", err)
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst, cfg.UserAgent = o.KubeAPIQPS, o.KubeAPIBurst, s.Name

	cacheOpts, err := o.cacheOptions(s.Kinds)
	if err != nil {
		return nil, nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  s.Scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr, ExtraHandlers: profilingHandlers()},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        LeaderElectionID(s.Name, o.WatchLabelSelector),
		LeaderElectionNamespace: os.Getenv(RuntimeNamespaceEnv),
		LeaseDuration:           &o.LeaseDuration,
		RenewDeadline:           &o.RenewDeadline,
		RetryPeriod:             &o.RetryPeriod,
		GracefulShutdownTimeout: &o.GracefulShutdownTimeout,
		Controller:              ctrlConfig(o, s.SkipNameValidation),
		Client:                  client.Options{Cache: &client.CacheOptions{Unstructured: false}},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create manager: %w", err)
	}
	if err := errors.Join(mgr.AddHealthzCheck("healthz", healthz.Ping), mgr.AddReadyzCheck("readyz", healthz.Ping)); err != nil {
		return nil, nil, fmt.Errorf("failed to add health checks: %w", err)
	}
	forward := o.EventsAddr
	if s.ServesEvents {
		forward = ""
	}
	rec, err := events.NewRecorder(cfg, s.Scheme, s.Name, forward)
	if err != nil {
		return nil, nil, err
	}
	m, err := metrics.Register(ctrlmetrics.Registry)
	if err != nil {
		return nil, nil, err
	}
	rt := &reconcile.Runtime{Client: mgr.GetClient(), Events: rec, Metrics: m, DependencyRequeue: o.RequeueDependency}
	return mgr, rt, nil
}

// profilingHandlers are Go's runtime profiles (CPU, heap, goroutines, traces) served under
// /debug/pprof/ on the metrics endpoint, as Flux's controllers serve them: `go tool pprof
// http://<pod>:8080/debug/pprof/profile` shows where a controller spends its time.
func profilingHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"/debug/pprof/":        http.HandlerFunc(pprof.Index),
		"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
		"/debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
		"/debug/pprof/trace":   http.HandlerFunc(pprof.Trace),
	}
}

func (o *Options) cacheOptions(kinds []client.Object) (cache.Options, error) {
	// No controller reads the managed fields of a cached object (server-side apply sends
	// none, and the live objects it compares are read from the API server), and they are a
	// large part of each object: the cache does without them.
	opts := cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
	if !o.WatchAllNamespaces {
		ns := os.Getenv(RuntimeNamespaceEnv)
		if ns == "" {
			return opts, fmt.Errorf("--watch-all-namespaces=false needs the %s environment variable", RuntimeNamespaceEnv)
		}
		opts.DefaultNamespaces = map[string]cache.Config{ns: {}}
	}
	if o.WatchLabelSelector == "" {
		return opts, nil
	}
	sel, err := labels.Parse(o.WatchLabelSelector)
	if err != nil {
		return opts, fmt.Errorf("failed to parse --watch-label-selector: %w", err)
	}
	opts.ByObject = map[client.Object]cache.ByObject{}
	for _, k := range kinds {
		opts.ByObject[k] = cache.ByObject{Label: sel}
	}
	return opts, nil
}

// ControllerOptions returns the options every controller of the manager is built with.
func (o *Options) ControllerOptions() controller.Options {
	return controller.Options{
		MaxConcurrentReconciles: o.Concurrent,
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[ctrl.Request](o.MinRetryDelay, o.MaxRetryDelay),
	}
}

func ctrlConfig(o *Options, skipNameValidation bool) config.Controller {
	c := config.Controller{MaxConcurrentReconciles: o.Concurrent}
	if skipNameValidation {
		c.SkipNameValidation = &skipNameValidation
	}
	return c
}

// LeaderElectionID names the lease: one per controller and shard, so that shards selected by
// different --watch-label-selector values each elect their own leader.
func LeaderElectionID(name, selector string) string {
	if selector == "" {
		return name + "-leader-election"
	}
	sum := sha256.Sum256([]byte(selector))
	return fmt.Sprintf("%s-%x-leader-election", name, sum[:4])
}
