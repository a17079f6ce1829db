// Package controller holds what the notification kind packages share: Provider and Alert
// (notification.toolkit.fluxcd.io/v1beta3) have no status, so what their reconcilers find is
// told through events on the object, once per change of what there is to tell.
package controller

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Finding is what a reconcile of a kind without a status found.
type Finding struct {
	// Warning is true for a problem, false for a working object.
	Warning bool
	// Reason and Message become the event's.
	Reason, Message string
}

// Reporter records a Finding as an event on the object when it differs from the last one
// recorded for the same object and generation, so that a Secret that changes without
// changing the outcome adds nothing.
type Reporter struct {
	rt *reconcile.Runtime

	mu   sync.Mutex
	last map[types.NamespacedName]reported
}

type reported struct {
	generation int64
	finding    Finding
}

// NewReporter returns a Reporter recording through rt's event recorder.
func NewReporter(rt *reconcile.Runtime) *Reporter {
	return &Reporter{rt: rt, last: map[types.NamespacedName]reported{}}
}

// Report records f for obj unless it was the last finding recorded for obj's generation.
func (r *Reporter) Report(ctx context.Context, obj client.Object, f Finding) {
	key := client.ObjectKeyFromObject(obj)
	r.mu.Lock()
	prev, ok := r.last[key]
	now := reported{generation: obj.GetGeneration(), finding: f}
	same := ok && prev == now
	r.last[key] = now
	r.mu.Unlock()
	if same {
		return
	}
	eventType := corev1.EventTypeNormal
	if f.Warning {
		eventType = corev1.EventTypeWarning
	}
	r.rt.Events.Event(ctx, obj, eventType, f.Reason, f.Message, nil)
}

// Forget drops what was recorded for a deleted object.
func (r *Reporter) Forget(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.last, key)
	r.mu.Unlock()
}

// Key is "<namespace>/<name>" of o, the key of the indexes from an object to what refers to
// it.
func Key(o client.Object) string { return o.GetNamespace() + "/" + o.GetName() }
