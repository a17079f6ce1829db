package dispatch

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// enqueue resolves j's Provider, applies rate limiting and queues j; a notification that
// cannot be queued is finished with its outcome at once.
func (d *Dispatcher) enqueue(ctx context.Context, j job) {
	log := d.log.WithValues("alert", j.dest, "object", objectRef(j.ev))
	var p notificationv1beta3.Provider
	key := client.ObjectKey{Namespace: j.alert.Namespace, Name: j.alert.Spec.ProviderRef.Name}
	if err := d.client.Get(ctx, key, &p); err != nil {
		log.Error(err, "unable to read the Alert's Provider", "provider", key.String())
		d.finish(j, "unknown", ResultFailed)
		return
	}
	s, err := d.senders.Get(ctx, &p)
	if err != nil {
		log.Error(err, "unable to use the Alert's Provider", "provider", key.String())
		d.finish(j, p.Spec.Type, ResultFailed)
		return
	}
	if s.Suspended {
		d.finish(j, "", "")
		return
	}
	window := s.Interval
	if window == 0 {
		window = d.opts.RateLimit
	}
	if !d.limit.allow(j.dest+"/"+j.fingerprint, window) {
		log.V(1).Info("notification dropped: the event repeats one sent within the rate-limit interval", "interval", window)
		d.finish(j, s.Type, ResultDropped)
		return
	}
	j.sender = s
	q := d.queues.get(key.String()+"/"+s.Type, func() *queue { return newQueue(d, s.Type, d.opts.Workers, d.opts.QueueSize) })
	d.inflight.Add(1)
	if !q.push(j) {
		d.inflight.Done()
		log.Error(nil, "notification dropped: the Provider's queue is full", "provider", key.String(), "size", d.opts.QueueSize)
		d.finish(j, s.Type, ResultDropped)
	}
}

// finish records the outcome of j in the metrics (unless result is empty: not sent on
// purpose, such as for a suspended Provider) and in the checkpoint.
func (d *Dispatcher) finish(j job, typ, result string) {
	if result != "" {
		d.metrics.Deliveries.WithLabelValues(typ, result).Inc()
	}
	if j.rv != 0 {
		d.tracker.Finish(j.rv, j.dest)
	}
}

// Stop ends the Dispatcher once no more events are handed to it: it waits up to drain for
// the queued notifications to be sent, then abandons the rest. An abandoned notification is
// not finished in the checkpoint, so its event is replayed after a restart.
func (d *Dispatcher) Stop(drain time.Duration) {
	done := make(chan struct{})
	go func() {
		d.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		d.log.Info("stopping with notifications still queued; their events are replayed after the restart")
	}
	d.stop()
	d.workers.Wait()
	d.queues.mu.Lock()
	defer d.queues.mu.Unlock()
	for _, q := range d.queues.m {
		for _, lane := range q.lanes {
			for len(lane) > 0 {
				<-lane
				d.inflight.Done()
			}
		}
	}
}
