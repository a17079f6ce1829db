package dispatch

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// job is one notification: an event for one Alert through its Provider.
type job struct {
	// rv is the Kubernetes Event's resourceVersion (0 for a POSTed event), dest the Alert's
	// key: together they name the job in the checkpoint.
	rv   uint64
	dest string
	// fingerprint identifies the event's content, for rate limiting.
	fingerprint string
	ev          events.Event
	// alert is the Alert the event matched (for commitStatusExpr).
	alert  *notificationv1beta3.Alert
	sender *sender.Sender
}

// queue holds the notifications of one Provider: bounded lanes, each drained by one worker,
// an object's events always in the same lane so that they arrive in order. A Provider that is
// slow or down fills its own queue only.
type queue struct {
	d     *Dispatcher
	typ   string
	lanes []chan job
}

// newQueue starts the workers of a queue holding at most capacity notifications.
func newQueue(d *Dispatcher, typ string, workers, capacity int) *queue {
	q := &queue{d: d, typ: typ}
	per := max(capacity/workers, 1)
	for range workers {
		lane := make(chan job, per)
		q.lanes = append(q.lanes, lane)
		d.workers.Add(1)
		go q.run(lane)
	}
	return q
}

// push queues j without waiting; it fails when j's lane is full.
func (q *queue) push(j job) bool {
	h := fnv.New32a()
	o := j.ev.InvolvedObject
	h.Write([]byte(o.Kind + "/" + o.Namespace + "/" + o.Name))
	select {
	case q.lanes[int(h.Sum32())%len(q.lanes)] <- j:
		q.d.metrics.QueueDepth.WithLabelValues(q.typ).Inc()
		return true
	default:
		return false
	}
}

func (q *queue) run(lane chan job) {
	defer q.d.workers.Done()
	for {
		select {
		case <-q.d.work.Done():
			return
		case j := <-lane:
			q.d.metrics.QueueDepth.WithLabelValues(q.typ).Dec()
			q.deliver(j)
		}
	}
}

// deliver sends j, retrying failures worth a retry with exponential back-off, and reports
// the outcome. Shutdown never cuts a request short (a request the provider got must be
// reported, or it would be sent again after the restart); it abandons a notification between
// attempts, unreported, so that its event is replayed after the restart.
func (q *queue) deliver(j job) {
	defer q.d.inflight.Done()
	log := q.d.log.WithValues("alert", j.dest, "providerType", q.typ, "object", objectRef(j.ev))
	ctx := sender.WithAlert(context.Background(), j.alert)
	backoff := q.d.opts.RetryBackoff
	for attempt := 1; q.d.work.Err() == nil; attempt++ {
		err := j.sender.Post(ctx, j.ev)
		if err == nil {
			q.d.finish(j, q.typ, ResultSent)
			return
		}
		if !notifier.Retryable(err) || attempt >= q.d.opts.MaxAttempts {
			log.Error(err, "failed to send notification", "attempts", attempt)
			q.d.finish(j, q.typ, ResultFailed)
			return
		}
		log.V(1).Info("notification failed, retrying", "attempt", attempt, "error", err.Error(), "in", backoff)
		if !sleep(q.d.work, backoff) {
			return
		}
		backoff = min(2*backoff, q.d.opts.MaxBackoff)
	}
}

// sleep waits d unless ctx ends first; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// objectRef names an event's object in logs.
func objectRef(ev events.Event) string {
	o := ev.InvolvedObject
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// queues are the Dispatcher's queues, by Provider.
type queues struct {
	mu sync.Mutex
	m  map[string]*queue
}

// get returns the queue of the Provider key, creating it with newQ.
func (qs *queues) get(key string, newQ func() *queue) *queue {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q, ok := qs.m[key]; ok {
		return q
	}
	q := newQ()
	qs.m[key] = q
	return q
}
