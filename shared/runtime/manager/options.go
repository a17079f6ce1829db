// Package manager holds the start-up flags every toolkit controller shares and builds the
// controller-runtime manager and the shared reconcile runtime from them.
package manager

import (
	goflag "flag"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// Options are the settings every controller takes from its command line. Flag names and
// meanings follow Flux's controllers so existing Deployment patches keep working.
type Options struct {
	// MetricsAddr is the address the Prometheus metrics endpoint binds to.
	MetricsAddr string
	// HealthAddr is the address the health and readiness probes bind to.
	HealthAddr string
	// LeaderElection enables leader election, for running several replicas.
	LeaderElection bool
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Concurrent is the number of objects of each kind reconciled at once.
	Concurrent int
	// WatchAllNamespaces watches every namespace instead of the controller's own.
	WatchAllNamespaces bool
	// WatchLabelSelector limits the controller to objects matching it (sharding).
	WatchLabelSelector string
	// NoCrossNamespaceRefs forbids references to objects in other namespaces.
	NoCrossNamespaceRefs bool
	// DefaultServiceAccount is impersonated when an object names no service account.
	DefaultServiceAccount string
	// DefaultKubeConfigServiceAccount (--default-kubeconfig-service-account, taken by the
	// controllers of Program.RemoteClusters only) authenticates to remote clusters of
	// spec.kubeConfig.configMapRef provider generic that name no service account.
	DefaultKubeConfigServiceAccount string
	// DefaultDecryptionServiceAccount (--default-decryption-service-account, taken by the
	// controller of Program.Decryption only) is the ServiceAccount, in the namespace of each
	// object, whose cloud identity decrypts the KMS keys of objects that name none in
	// spec.decryption.serviceAccountName: set, the controller's own identity is never used.
	DefaultDecryptionServiceAccount string
	// LogLevel is one of debug, info, error (or trace).
	LogLevel string
	// LogEncoding is json or console.
	LogEncoding string
	// KubeAPIQPS and KubeAPIBurst limit the client's request rate.
	KubeAPIQPS float32
	// KubeAPIBurst is the client's burst of requests above KubeAPIQPS.
	KubeAPIBurst int
	// RequeueDependency, when above zero, also re-checks objects waiting for a dependency on
	// this interval; dependents are woken by watches in any case.
	RequeueDependency time.Duration
	// EventsAddr, when set, receives every event as an HTTP POST in Flux's event format.
	EventsAddr string
	// MinRetryDelay and MaxRetryDelay bound the back-off after transient failures.
	MinRetryDelay, MaxRetryDelay time.Duration
	// GracefulShutdownTimeout bounds how long running reconciles may finish on shutdown.
	GracefulShutdownTimeout time.Duration
	// FeatureGates is --feature-gates as given: comma-separated Name=true|false pairs.
	FeatureGates string
	// TokenCacheMaxSize and TokenCacheMaxDuration bound the cache of cloud logins and tokens
	// (Tokens): how many are kept, and for how long at most.
	TokenCacheMaxSize int
	// TokenCacheMaxDuration is the longest a cloud login or token is kept.
	TokenCacheMaxDuration time.Duration

	tokensOnce sync.Once
	tokens     *cloud.Cache
	ignored    ignoredFlags
	known      []string
}

// BindFlags registers the shared flags on fs with Flux's defaults; defaultConcurrent is the
// controller's default for --concurrent.
func (o *Options) BindFlags(fs *pflag.FlagSet, defaultConcurrent int) {
	fs.StringVar(&o.MetricsAddr, "metrics-addr", ":8080", "The address the metric endpoint binds to.")
	fs.StringVar(&o.HealthAddr, "health-addr", ":9440", "The address the health endpoint binds to.")
	fs.BoolVar(&o.LeaderElection, "enable-leader-election", false,
		"Enable leader election for controller manager. Ensures there is only one active controller manager.")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", 35*time.Second,
		"Interval at which non-leader candidates will wait to force acquire leadership.")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", 30*time.Second,
		"Duration that the leading controller manager will retry refreshing leadership before giving up.")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", 5*time.Second,
		"Duration the LeaderElector clients should wait between tries of actions.")
	fs.IntVar(&o.Concurrent, "concurrent", defaultConcurrent, "The number of concurrent reconciles per kind.")
	fs.BoolVar(&o.WatchAllNamespaces, "watch-all-namespaces", true,
		"Watch for resources in all namespaces, if set to false it will only watch the runtime namespace.")
	fs.StringVar(&o.WatchLabelSelector, "watch-label-selector", "",
		"Watch for resources with matching labels e.g. 'sharding.fluxcd.io/key=shard1'.")
	fs.BoolVar(&o.NoCrossNamespaceRefs, "no-cross-namespace-refs", false,
		"When set to true, references between resources are allowed only within the same namespace.")
	// An older spelling of the same setting: a security setting is honoured, never ignored.
	fs.BoolVar(&o.NoCrossNamespaceRefs, "acl-disable-cross-namespace-refs", false,
		"Deprecated spelling of --no-cross-namespace-refs.")
	_ = fs.MarkHidden("acl-disable-cross-namespace-refs")
	fs.StringVar(&o.DefaultServiceAccount, "default-service-account", "",
		"Default service account used for impersonation.")
	fs.StringVar(&o.LogLevel, "log-level", "info", "Log verbosity level: trace, debug, info or error.")
	fs.StringVar(&o.LogEncoding, "log-encoding", "json", "Log encoding format: json or console.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", 50.0, "The maximum queries-per-second of requests sent to the Kubernetes API.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 300, "The maximum burst queries-per-second of requests sent to the Kubernetes API.")
	fs.DurationVar(&o.RequeueDependency, "requeue-dependency", 0,
		"Also re-check objects waiting for a dependency on this interval (0: only when a dependency changes).")
	fs.StringVar(&o.EventsAddr, "events-addr", "", "The address of the events receiver.")
	fs.DurationVar(&o.MinRetryDelay, "min-retry-delay", 750*time.Millisecond,
		"The minimum amount of time for which an object being reconciled will have to wait before a retry.")
	fs.DurationVar(&o.MaxRetryDelay, "max-retry-delay", 15*time.Minute,
		"The maximum amount of time for which an object being reconciled will have to wait before a retry.")
	fs.DurationVar(&o.GracefulShutdownTimeout, "graceful-shutdown-timeout", 600*time.Second,
		"The duration given to the reconciler to finish before forcibly stopping.")
	fs.StringVar(&o.FeatureGates, "feature-gates", "",
		"A comma separated list of key=value pairs defining the state of features, e.g. StrictPostBuildSubstitutions=true.")
	fs.IntVar(&o.TokenCacheMaxSize, "token-cache-max-size", cloud.DefaultCacheSize,
		"The maximum number of cloud provider logins and tokens kept in the cache (0 keeps none).")
	fs.DurationVar(&o.TokenCacheMaxDuration, "token-cache-max-duration", cloud.DefaultCacheDuration,
		"The longest a cloud provider login or token is kept in the cache.")
	o.ignored.bind(fs, commonIgnoredFlags)
	// controller-runtime registers --kubeconfig on the standard flag set.
	fs.AddGoFlagSet(goflag.CommandLine)
}

// BindRemoteClusterFlags registers the flags of controllers that act on remote clusters
// through spec.kubeConfig; called before BindFlags, they take the place of the ignored flags
// of the same names.
func (o *Options) BindRemoteClusterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DefaultKubeConfigServiceAccount, "default-kubeconfig-service-account", "",
		"Default service account whose tokens authenticate to remote clusters of spec.kubeConfig.configMapRef provider generic.")
}

// BindDecryptionFlags registers the flags of the controller that decrypts SOPS documents;
// called before BindFlags, they take the place of the ignored flags of the same names.
func (o *Options) BindDecryptionFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DefaultDecryptionServiceAccount, "default-decryption-service-account", "",
		"Default service account whose cloud identity decrypts the SOPS KMS keys of Kustomizations that set no spec.decryption.serviceAccountName; set, the controller's own cloud identity is never used for them.")
}

// AcceptIgnoredFlags registers flags that Flux's controller of the same name accepts and
// Ferry has no use for: they parse, and setting one is logged as ignored.
func (o *Options) AcceptIgnoredFlags(fs *pflag.FlagSet, flags map[string]FlagKind) {
	o.ignored.bind(fs, flags)
}

// Tokens is the controller's one cache of cloud provider logins and tokens
// (spec.provider aws, azure, gcp), sized by --token-cache-max-size and
// --token-cache-max-duration.
func (o *Options) Tokens() *cloud.Cache {
	o.tokensOnce.Do(func() { o.tokens = cloud.NewCache(o.TokenCacheMaxSize, o.TokenCacheMaxDuration) })
	return o.tokens
}
