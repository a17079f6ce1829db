// Package ingest takes events in: a watch of the Kubernetes Events of toolkit objects, and
// Flux's HTTP event endpoint. Pipeline runs both with the dispatcher and the checkpoint while
// the controller leads.
package ingest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/ferry-gitops/ferry/notification-controller/internal/event"
)

// Sink receives the events in resourceVersion order.
type Sink interface {
	// Handle delivers a toolkit event.
	Handle(ctx context.Context, r event.Record)
	// Observe moves past an event or bookmark that needs no delivery.
	Observe(r event.Record)
}

// listPage is the size of the pages of a list of Events.
const listPage = 500

// Watcher streams the Kubernetes Events of toolkit objects to a Sink, in the order the API
// server stored them: a list sorted by resourceVersion, then a watch from the list's version,
// resumed where it stopped, and a list again when the API server no longer has the history
// to resume (410 Gone). It holds no copy of the Events.
type Watcher struct {
	events typedcorev1.EventInterface
	sink   Sink
	log    logr.Logger
	last   uint64
}

// NewWatcher returns a Watcher of the Events events reads (one namespace or all).
func NewWatcher(events typedcorev1.EventInterface, sink Sink, log logr.Logger) *Watcher {
	return &Watcher{events: events, sink: sink, log: log}
}

// CurrentVersion returns the resourceVersion the API server is at for Events.
func CurrentVersion(ctx context.Context, events typedcorev1.EventInterface) (uint64, error) {
	list, err := events.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("failed to list events: %w", err)
	}
	return strconv.ParseUint(list.ResourceVersion, 10, 64)
}

// Run streams until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	rv, listed := "", false
	for ctx.Err() == nil {
		if !listed {
			var err error
			if rv, err = w.list(ctx); err != nil {
				w.log.Error(err, "unable to list events, retrying")
				sleep(ctx, time.Second)
				continue
			}
			listed = true
		}
		next, err := w.watch(ctx, rv)
		rv = next
		switch {
		case ctx.Err() != nil:
		case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
			w.log.V(1).Info("event history expired, listing again", "resourceVersion", rv)
			listed = false
		case err != nil:
			w.log.Error(err, "event watch failed, resuming", "resourceVersion", rv)
			sleep(ctx, time.Second)
		}
	}
}

// list replays the Events newer than the last one seen, sorted by resourceVersion, and
// returns the list's resourceVersion to watch from.
func (w *Watcher) list(ctx context.Context) (string, error) {
	var records []event.Record
	opts := metav1.ListOptions{Limit: listPage}
	var listRV string
	for {
		page, err := w.events.List(ctx, opts)
		if err != nil {
			return "", fmt.Errorf("failed to list events: %w", err)
		}
		if listRV == "" {
			listRV = page.ResourceVersion
		}
		for i := range page.Items {
			if r, ok := w.read(&page.Items[i]); ok && r.ResourceVersion > w.last {
				records = append(records, r)
			}
		}
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	sort.Slice(records, func(i, j int) bool { return records[i].ResourceVersion < records[j].ResourceVersion })
	for _, r := range records {
		w.sink.Handle(ctx, r)
		w.last = r.ResourceVersion
	}
	if v, err := strconv.ParseUint(listRV, 10, 64); err == nil && v > w.last {
		w.last = v
		w.sink.Observe(event.Record{Source: event.FromAPI, ResourceVersion: v})
	}
	return listRV, nil
}

// watch streams Events from rv until the watch ends, and returns the last version seen.
func (w *Watcher) watch(ctx context.Context, rv string) (string, error) {
	timeout := int64(300)
	wi, err := w.events.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true, TimeoutSeconds: &timeout})
	if err != nil {
		return rv, err
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, nil
		case e, ok := <-wi.ResultChan():
			if !ok {
				return rv, nil
			}
			if e.Type == watch.Error {
				return rv, apierrors.FromObject(e.Object)
			}
			ev, isEvent := e.Object.(*corev1.Event)
			if !isEvent {
				continue
			}
			rv = ev.ResourceVersion
			w.deliver(ctx, e.Type, ev)
		}
	}
}

// deliver hands one watch event to the sink.
func (w *Watcher) deliver(ctx context.Context, typ watch.EventType, ev *corev1.Event) {
	v, err := strconv.ParseUint(ev.ResourceVersion, 10, 64)
	if err != nil || v <= w.last {
		return
	}
	w.last = v
	if r, ok := w.read(ev); ok && (typ == watch.Added || typ == watch.Modified) {
		w.sink.Handle(ctx, r)
		return
	}
	w.sink.Observe(event.Record{Source: event.FromAPI, ResourceVersion: v})
}

// read turns a Kubernetes Event into a record; ok is false for one not about the toolkit.
func (w *Watcher) read(ev *corev1.Event) (event.Record, bool) {
	r, ok, err := event.FromKubernetes(ev)
	if err != nil {
		w.log.Error(err, "unable to read event")
	}
	return r, ok && err == nil
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
