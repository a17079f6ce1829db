package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/checkpoint"
	"github.com/ferry-gitops/ferry/notification-controller/internal/dispatch"
	"github.com/ferry-gitops/ferry/notification-controller/internal/event"
	"github.com/ferry-gitops/ferry/notification-controller/internal/listen"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
)

// CheckpointName is the ConfigMap holding the delivery checkpoint.
const CheckpointName = "notification-controller-checkpoint"

// PipelineOptions configure the Pipeline.
type PipelineOptions struct {
	// EventsAddr is the address of the event endpoint (--events-addr); empty serves none.
	EventsAddr string
	// Namespace holds the checkpoint (the controller's own namespace).
	Namespace string
	// Dispatch tunes the dispatcher.
	Dispatch dispatch.Options
	// FlushInterval is how often a changed checkpoint is written.
	FlushInterval time.Duration
	// Drain bounds how long queued notifications may still be sent at shutdown.
	Drain time.Duration
}

// Pipeline is the events-in, notifications-out loop of the controller: the checkpoint is
// read, the Kubernetes Events not yet delivered are replayed and then watched, the event
// endpoint serves, the dispatcher sends, and the checkpoint is written as deliveries finish
// and once more at shutdown, after the queues had Drain to empty. It runs on the leader only.
type Pipeline struct {
	// Events reads the Kubernetes Events (all namespaces, or the watched one).
	Events typedcorev1.EventInterface
	// Cache reads Alerts and Providers; Reader reads Secrets, labels and the checkpoint from
	// the API server; Writer writes the checkpoint.
	Cache, Reader client.Reader
	Writer        client.Client
	// Senders resolves Providers.
	Senders *sender.Registry
	// Metrics are the controller's metrics.
	Metrics *dispatch.Metrics
	// Log is the pipeline's logger.
	Log  logr.Logger
	Opts PipelineOptions
}

// NeedLeaderElection implements the manager's LeaderElectionRunnable: one replica delivers.
func (p *Pipeline) NeedLeaderElection() bool { return true }

// Start implements the manager's Runnable.
func (p *Pipeline) Start(ctx context.Context) error {
	store := checkpoint.NewStore(p.Reader, p.Writer, p.Opts.Namespace, CheckpointName)
	saved, found, err := p.load(ctx, store)
	if err != nil || ctx.Err() != nil {
		return err
	}
	tracker := checkpoint.NewTracker(saved.Events)
	twins := event.NewTwins(event.TwinWindow)
	twins.Import(saved.Twins)
	unsaved := false
	if !found {
		if err := store.Save(ctx, saved); err != nil {
			p.Log.Error(err, "unable to write the delivery checkpoint; retrying")
			unsaved = true
		}
	}
	d := dispatch.New(p.Cache, p.Senders, dispatch.NewAPILabels(p.Reader), tracker, twins, p.Metrics, p.Opts.Dispatch, p.Log)
	p.Log.Info("delivering events", "watermark", saved.Events.Watermark, "resumed", found, "eventsAddr", p.Opts.EventsAddr)

	intake, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	if p.Opts.EventsAddr != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := listen.Serve(intake, p.Opts.EventsAddr, NewEventHandler(d, p.Metrics.HTTPDuration, p.Log), 5*time.Second, p.Log); err != nil {
				errc <- fmt.Errorf("failed to serve events on %s: %w", p.Opts.EventsAddr, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		NewWatcher(p.Events, d, p.Log).Run(intake)
	}()
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		p.flushLoop(intake, store, tracker, twins, unsaved)
	}()

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopIntake()
	wg.Wait()
	d.Stop(p.Opts.Drain)
	<-flushed
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, p.flush(fctx, store, tracker, twins, true))
}

// flushLoop writes the checkpoint once it changed, at most every FlushInterval so that a
// burst of deliveries is written once, and again every FlushInterval while a write fails.
// Nothing wakes it while nothing changes.
func (p *Pipeline) flushLoop(ctx context.Context, store *checkpoint.Store, tracker *checkpoint.Tracker, twins *event.Twins, failed bool) {
	for {
		var retry <-chan time.Time
		if failed {
			retry = time.After(p.Opts.FlushInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-retry:
		case <-tracker.Changed():
			if sleep(ctx, p.Opts.FlushInterval); ctx.Err() != nil {
				return
			}
		}
		err := p.flush(ctx, store, tracker, twins, failed)
		if failed = err != nil; failed && ctx.Err() == nil {
			p.Log.Error(err, "unable to write the delivery checkpoint")
		}
	}
}

// load reads the checkpoint, trying again until it can (nothing is delivered before), and
// starts a new one at the API server's current version when there is none.
func (p *Pipeline) load(ctx context.Context, store *checkpoint.Store) (checkpoint.Saved, bool, error) {
	for {
		saved, found, err := store.Load(ctx)
		if err == nil && !found {
			saved.Events.Watermark, err = CurrentVersion(ctx, p.Events)
		}
		if err == nil || ctx.Err() != nil {
			return saved, found, nil
		}
		p.Log.Error(err, "unable to read the delivery checkpoint; retrying")
		sleep(ctx, 2*time.Second)
	}
}

// flush writes the checkpoint if it changed (or always, when final).
func (p *Pipeline) flush(ctx context.Context, store *checkpoint.Store, tracker *checkpoint.Tracker, twins *event.Twins, final bool) error {
	state, changed := tracker.Snapshot()
	if !changed && !final {
		return nil
	}
	return store.Save(ctx, checkpoint.Saved{Events: state, Twins: twins.Export()})
}
