// Command notification-controller is Ferry's notification-controller.
package main

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferry-gitops/ferry/notification-controller/internal/controller/alert"
	"github.com/ferry-gitops/ferry/notification-controller/internal/controller/provider"
	"github.com/ferry-gitops/ferry/notification-controller/internal/controller/receiver"
	"github.com/ferry-gitops/ferry/notification-controller/internal/dispatch"
	"github.com/ferry-gitops/ferry/notification-controller/internal/hook"
	"github.com/ferry-gitops/ferry/notification-controller/internal/ingest"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	"github.com/ferry-gitops/ferry/notification-controller/internal/webhook"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

const controllerName = "notification-controller"

// flags are notification-controller's own settings.
type flags struct {
	receiverAddr string
	rateLimit    time.Duration
	queueSize    int
	// namespace holds the delivery checkpoint; RUNTIME_NAMESPACE when empty.
	namespace string
	// googleKeys replaces Google's published keys (tests).
	googleKeys *webhook.KeySet
	// drain bounds the sending of queued notifications at shutdown; 10s when zero.
	drain time.Duration
}

func main() {
	manager.Main((&flags{}).program())
}

// program describes the binary; it listens for events on --events-addr (Flux's :9090).
func (f *flags) program() manager.Program {
	return manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1.AddToScheme, notificationv1beta3.AddToScheme},
		Kinds:             []client.Object{&notificationv1.Receiver{}, &notificationv1beta3.Provider{}, &notificationv1beta3.Alert{}},
		Flags:             f.bind,
		FlagDefaults:      map[string]string{"events-addr": ":9090"},
		ServesEvents:      true,
		IgnoredFlags:      map[string]manager.FlagKind{"export-http-path": manager.StringFlag},
		FeatureGates:      []string{cloud.ObjectLevelWorkloadIdentity},
		Register:          f.register,
	}
}

func (f *flags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.receiverAddr, "receiverAddr", ":9292", "The address the webhook receiver binds to.")
	fs.StringVar(&f.receiverAddr, "receiver-addr", ":9292", "The address the webhook receiver binds to (same as --receiverAddr).")
	fs.DurationVar(&f.rateLimit, "rate-limit-interval", 5*time.Minute,
		"Interval in which an event repeating one sent to the same Alert is not sent again (a Provider's spec.interval overrides it).")
	fs.IntVar(&f.queueSize, "provider-queue-size", 1000,
		"The number of notifications a Provider's queue holds; a notification arriving when it is full is dropped.")
}

// register sets up the three kinds, the webhook receiver (every replica) and the events
// pipeline (the leader only).
func (f *flags) register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	metrics, err := dispatch.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	senders := sender.NewRegistry(mgr.GetAPIReader(), sender.NewIdentities(mgr, o))
	hooks, err := hook.New(mgr, ctrlmetrics.Registry, hook.Options{Addr: f.receiverAddr, NoCrossNamespaceRefs: o.NoCrossNamespaceRefs, GoogleKeys: f.googleKeys},
		ctrl.Log.WithName("receiver"))
	if err != nil {
		return err
	}
	opts := dispatch.DefaultOptions()
	opts.RateLimit, opts.NoCrossNamespaceRefs, opts.QueueSize = f.rateLimit, o.NoCrossNamespaceRefs, f.queueSize
	pipeline, err := ingest.ForManager(mgr, ingest.ManagerOptions{Namespace: f.namespace, WatchAllNamespaces: o.WatchAllNamespaces,
		EventsAddr: o.EventsAddr, Dispatch: opts, Drain: f.drain}, senders, metrics)
	if err != nil {
		return err
	}
	return errors.Join(
		provider.Setup(mgr, rt, o, senders),
		alert.Setup(mgr, rt, o),
		receiver.Setup(mgr, rt, o),
		mgr.Add(hooks),
		mgr.Add(pipeline),
	)
}
