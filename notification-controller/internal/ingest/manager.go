package ingest

import (
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferry-gitops/ferry/notification-controller/internal/dispatch"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
)

// ManagerOptions are what ForManager needs beyond the manager.
type ManagerOptions struct {
	// Namespace is the controller's namespace, which holds the checkpoint; RUNTIME_NAMESPACE
	// when empty.
	Namespace string
	// WatchAllNamespaces reads the Events of every namespace, not only Namespace's.
	WatchAllNamespaces bool
	// EventsAddr is the address of the event endpoint (--events-addr).
	EventsAddr string
	// Dispatch tunes the dispatcher.
	Dispatch dispatch.Options
	// Drain bounds the sending of queued notifications at shutdown; 10s when zero.
	Drain time.Duration
}

// ForManager builds the Pipeline of a controller run by mgr: its Events client, caches and
// writer, and the checkpoint in o.Namespace.
func ForManager(mgr ctrl.Manager, o ManagerOptions, senders *sender.Registry, metrics *dispatch.Metrics) (*Pipeline, error) {
	if o.Namespace == "" {
		o.Namespace = os.Getenv(manager.RuntimeNamespaceEnv)
	}
	if o.Namespace == "" {
		return nil, fmt.Errorf("the %s environment variable must name the controller's namespace (it holds the delivery checkpoint)", manager.RuntimeNamespaceEnv)
	}
	cs, err := kubernetes.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("failed to create the events client: %w", err)
	}
	watched := ""
	if !o.WatchAllNamespaces {
		watched = o.Namespace
	}
	if o.Drain == 0 {
		o.Drain = 10 * time.Second
	}
	return &Pipeline{
		Events: cs.CoreV1().Events(watched), Cache: mgr.GetClient(), Reader: mgr.GetAPIReader(), Writer: mgr.GetClient(),
		Senders: senders, Metrics: metrics, Log: ctrl.Log.WithName("events"),
		Opts: PipelineOptions{EventsAddr: o.EventsAddr, Namespace: o.Namespace, Dispatch: o.Dispatch,
			FlushInterval: 200 * time.Millisecond, Drain: o.Drain},
	}, nil
}
