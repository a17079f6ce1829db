// Package dispatch sends each received event to the Providers of the Alerts that select it:
// it drops the second copy of an event received twice (event.Twins) and events delivered
// before a restart (checkpoint.Tracker), matches Alerts, rate-limits repeats, and queues one
// notification per Alert in its Provider's bounded queue, whose workers send with retries and
// back-off and report each outcome to the checkpoint and the metrics.
package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/checkpoint"
	"github.com/ferry-gitops/ferry/notification-controller/internal/event"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// Options tune the Dispatcher.
type Options struct {
	// RateLimit is the window within which a repeated event is not sent again to an Alert
	// whose Provider sets no spec.interval (--rate-limit-interval).
	RateLimit time.Duration
	// NoCrossNamespaceRefs ignores eventSources in another namespace than their Alert's.
	NoCrossNamespaceRefs bool
	// Workers and QueueSize shape each Provider's queue.
	Workers, QueueSize int
	// MaxAttempts, RetryBackoff and MaxBackoff bound the retries of one notification.
	MaxAttempts              int
	RetryBackoff, MaxBackoff time.Duration
}

// DefaultOptions are the Dispatcher's defaults.
func DefaultOptions() Options {
	return Options{RateLimit: 5 * time.Minute, Workers: 4, QueueSize: 1000, MaxAttempts: 5,
		RetryBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}
}

// Dispatcher routes events to notifications.
type Dispatcher struct {
	client   client.Reader
	senders  *sender.Registry
	tracker  *checkpoint.Tracker
	twins    *event.Twins
	metrics  *Metrics
	opts     Options
	log      logr.Logger
	match    *matcher
	limit    *limiter
	queues   queues
	inflight sync.WaitGroup
	workers  sync.WaitGroup
	work     context.Context
	stop     context.CancelFunc
}

// New returns a Dispatcher reading Alerts and Providers through c (the manager's cache),
// labels through labels, and Secrets through the registry. Start it with Run.
func New(c client.Reader, senders *sender.Registry, labels LabelReader, tracker *checkpoint.Tracker, twins *event.Twins,
	metrics *Metrics, opts Options, log logr.Logger) *Dispatcher {
	work, stop := context.WithCancel(context.Background())
	return &Dispatcher{
		client: c, senders: senders, tracker: tracker, twins: twins, metrics: metrics, opts: opts, log: log,
		match: &matcher{noCrossNamespace: opts.NoCrossNamespaceRefs, labels: labels, filters: map[types.UID]*filters{}},
		limit: newLimiter(), queues: queues{m: map[string]*queue{}}, work: work, stop: stop,
	}
}

// Handle routes one received event. Kubernetes Events must come in resourceVersion order.
// It never waits for a Provider.
func (d *Dispatcher) Handle(ctx context.Context, r event.Record) {
	if d.work.Err() != nil {
		return // stopping: an event not handled is replayed after the restart
	}
	source := r.Source.String()
	var delivered []string
	if r.Source == event.FromAPI {
		var skip bool
		if skip, delivered = d.tracker.Skip(r.ResourceVersion); skip {
			d.metrics.Events.WithLabelValues(source, "delivered-before").Inc()
			d.tracker.Observe(r.ResourceVersion)
			return
		}
	}
	if d.twins.Twin(r) {
		d.metrics.Events.WithLabelValues(source, "twin").Inc()
		d.Observe(r)
		return
	}
	d.metrics.Events.WithLabelValues(source, "received").Inc()
	jobs := d.route(ctx, r, delivered)
	if r.Source == event.FromAPI {
		dests := make([]string, 0, len(jobs))
		for _, j := range jobs {
			dests = append(dests, j.dest)
		}
		d.tracker.Start(r.ResourceVersion, dests)
	}
	for _, j := range jobs {
		d.enqueue(ctx, j)
	}
}

// Observe moves the checkpoint past an event that needs no delivery: a twin, or a Kubernetes
// Event (or watch bookmark) that is not about the toolkit.
func (d *Dispatcher) Observe(r event.Record) {
	if r.Source == event.FromAPI && r.ResourceVersion > 0 {
		d.tracker.Observe(r.ResourceVersion)
	}
}

// route returns the notifications of r: one per Alert that selects it, except the Alerts in
// delivered (reached before a restart).
func (d *Dispatcher) route(ctx context.Context, r event.Record, delivered []string) []job {
	var list notificationv1beta3.AlertList
	if err := d.client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		d.log.Error(err, "unable to list Alerts")
		return nil
	}
	var jobs []job
	for i := range list.Items {
		a := &list.Items[i]
		key := a.Namespace + "/" + a.Name
		if contains(delivered, key) {
			continue
		}
		ok, err := d.match.matches(ctx, a, &r.Event)
		if err != nil {
			d.log.Error(err, "unable to match the event against an Alert", "alert", key, "object", objectRef(r.Event))
			continue
		}
		if ok {
			jobs = append(jobs, job{rv: r.ResourceVersion, dest: key, fingerprint: r.Fingerprint, ev: enrich(a, r.Event), alert: a.DeepCopy()})
		}
	}
	return jobs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
