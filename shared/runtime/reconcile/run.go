// Package reconcile is the one reconciler every toolkit controller runs: get the object, one
// status patcher, finalizer and deletion, suspend, ordered steps, Ready/Reconciling/Stalled
// computed once with kstatus rules, observedGeneration and lastHandledReconcileAt, ONE status
// patch, metrics and events.
package reconcile

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/patch"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// EventRecorder records events; *events.Recorder implements it.
type EventRecorder interface {
	Event(ctx context.Context, obj client.Object, eventType, reason, message string, metadata map[string]string)
}

// Runtime holds what every reconcile of a controller shares.
type Runtime struct {
	// Client reads and writes the cluster.
	Client client.Client
	// Events records events.
	Events EventRecorder
	// Metrics records the gotk_* metrics.
	Metrics *metrics.Recorder
	// DependencyRequeue, when above zero, also re-checks waiting objects on this interval;
	// otherwise they are woken only by watches (and their own interval).
	DependencyRequeue time.Duration

	// written is what the last status patch of each object (by UID) recorded, to tell a
	// cache that has not seen that patch yet (see stale).
	written sync.Map
}

// writtenStatus is the generation a status patch observed, and when.
type writtenStatus struct {
	generation int64
	at         time.Time
}

// staleWindow bounds how long after its own status patch the runtime distrusts a cached
// object that does not show it: the cache sees a write within milliseconds, so anything older
// is a status someone else set (or reset) on purpose.
const staleWindow = 10 * time.Second

// staleRetry is how soon an object read stale from the cache is looked at again.
const staleRetry = 200 * time.Millisecond

// stale reports whether obj, read from the cache, predates the status this runtime last
// wrote for it: the same generation, but an older observedGeneration. Watch events arrive in
// order, so such a copy misses that write and everything after it; reconciling it would redo
// the work just done (a second artifact of the same content, a second apply of the same
// revision). Objects are told apart by UID, so a deleted and re-created namesake is new.
func (rt *Runtime) stale(obj Object) bool {
	v, ok := rt.written.Load(obj.GetUID())
	if !ok {
		return false
	}
	w := v.(writtenStatus)
	if time.Since(w.at) > staleWindow {
		rt.written.Delete(obj.GetUID())
		return false
	}
	return obj.GetGeneration() == w.generation && obj.GetObjectStatus().ObservedGeneration < w.generation
}

// remember records the status just written for obj (see stale).
func (rt *Runtime) remember(obj Object) {
	if st := obj.GetObjectStatus(); st.ObservedGeneration == obj.GetGeneration() {
		rt.written.Store(obj.GetUID(), writtenStatus{generation: obj.GetGeneration(), at: time.Now()})
	}
}

// retryOnConflict is how soon an object is looked at again after a write conflict.
const retryOnConflict = time.Second

// Run reconciles the object named by req as kind describes.
func Run[T Object](ctx context.Context, rt *Runtime, kind *Kind[T], req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	obj := kind.New()
	if err := rt.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			rt.Metrics.Forget(metricsRef(kind, req.Namespace, req.Name))
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get %s: %w", kind.Name, err)
	}
	ref := metricsRef(kind, obj.GetNamespace(), obj.GetName())
	s := &Scope[T]{Obj: obj, Client: rt.Client, Log: ctrl.LoggerFrom(ctx)}
	if obj.GetDeletionTimestamp().IsZero() && rt.stale(obj) {
		s.Log.V(1).Info("the cache has not seen the last status written yet")
		return ctrl.Result{RequeueAfter: staleRetry}, nil
	}

	if !obj.GetDeletionTimestamp().IsZero() {
		return finalize(ctx, rt, kind, s, ref)
	}
	rt.Metrics.RecordSuspend(ref, obj.IsSuspended())
	if obj.IsSuspended() {
		s.Log.V(1).Info("reconciliation is suspended")
		return ctrl.Result{}, nil
	}
	if kind.Finalizer != "" && !controllerutil.ContainsFinalizer(obj, kind.Finalizer) {
		if res, err := patchFinalizers(ctx, rt.Client, obj, func() { controllerutil.AddFinalizer(obj, kind.Finalizer) }); err != nil || res.RequeueAfter > 0 {
			return res, err
		}
	}

	patcher := patch.NewStatusPatcher(rt.Client, obj)
	s.patcher = patcher
	previous := snapshotReady(obj)
	res := runKind(ctx, kind, s)
	summarize(obj, res)
	if kind.Summarized != nil {
		kind.Summarized(ctx, s, res)
	}
	if v, ok := fluxmeta.GetRequestedAt(obj); ok {
		obj.GetObjectStatus().LastHandledReconcileAt = v
	}
	if _, err := patcher.Patch(ctx, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	rt.remember(obj)
	report(ctx, rt, s, previous, res)
	rt.Metrics.RecordCondition(ref, fluxmeta.ReadyCondition, readyCondition(obj))
	rt.Metrics.RecordDuration(ref, start)
	return schedule(rt, kind, obj, res)
}

// runKind refuses an object that sets a field the kind does not implement, and otherwise runs
// its steps.
func runKind[T Object](ctx context.Context, kind *Kind[T], s *Scope[T]) Result {
	if err := unsupported.Check(s.Obj, kind.Unsupported); err != nil {
		return Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	return runSteps(ctx, kind.Steps, s)
}

// runSteps runs the steps in order until one does not finish. It returns that step's result,
// or, when all finish, a Done result carrying the last success reason and message.
func runSteps[T Object](ctx context.Context, steps []Step[T], s *Scope[T]) Result {
	final := Result{}
	for _, step := range steps {
		res := step.Run(ctx, s)
		if !res.IsDone() {
			s.Log.V(1).Info("step did not finish", "step", step.Name, "reason", res.Reason, "error", res.Err)
			return res
		}
		if res.Reason != "" || res.Message != "" {
			final.Reason, final.Message = res.Reason, res.Message
		}
		final.RequeueAfter = minPositive(final.RequeueAfter, res.RequeueAfter)
	}
	if final.Reason == "" {
		final.Reason = fluxmeta.SucceededReason
	}
	if final.Message == "" {
		final.Message = "reconciliation succeeded"
	}
	return final
}

// schedule turns the outcome into the controller-runtime result.
func schedule[T Object](rt *Runtime, kind *Kind[T], obj T, res Result) (ctrl.Result, error) {
	interval := kind.Interval(obj)
	switch {
	case res.IsStalled():
		return ctrl.Result{}, nil
	case res.IsWaiting():
		if rt.DependencyRequeue > 0 {
			interval = rt.DependencyRequeue
		}
		return ctrl.Result{RequeueAfter: interval}, nil
	case res.IsTransient():
		if res.RequeueAfter > 0 {
			return ctrl.Result{RequeueAfter: res.RequeueAfter}, nil
		}
		if kind.RetryInterval != nil {
			return ctrl.Result{RequeueAfter: kind.RetryInterval(obj)}, nil
		}
		return ctrl.Result{}, res.Err
	}
	return ctrl.Result{RequeueAfter: minPositive(interval, res.RequeueAfter)}, nil
}

// report records the queued events and, when Ready changed, an event for the new state.
func report[T Object](ctx context.Context, rt *Runtime, s *Scope[T], previous *readyState, res Result) {
	for _, e := range s.events {
		rt.Events.Event(ctx, s.Obj, e.eventType, e.reason, e.message, s.metadata)
	}
	current := readyCondition(s.Obj)
	if current == nil || (previous != nil && previous.equal(current)) {
		return
	}
	eventType := corev1.EventTypeNormal
	if !res.IsDone() {
		eventType = corev1.EventTypeWarning
	}
	if res.IsDone() && len(s.events) > 0 {
		return // the steps already told what changed
	}
	rt.Events.Event(ctx, s.Obj, eventType, current.Reason, current.Message, s.metadata)
}

// finalize runs the kind's clean-up on a deleted object and then removes the finalizer.
func finalize[T Object](ctx context.Context, rt *Runtime, kind *Kind[T], s *Scope[T], ref metrics.ObjectRef) (ctrl.Result, error) {
	obj := s.Obj
	if kind.Finalizer == "" || !controllerutil.ContainsFinalizer(obj, kind.Finalizer) {
		return ctrl.Result{}, nil
	}
	if kind.Finalize != nil && !obj.IsSuspended() {
		patcher := patch.NewStatusPatcher(rt.Client, obj)
		if res := kind.Finalize(ctx, s); !res.IsDone() {
			summarize(obj, Transient(fluxmeta.DeletionFailedReason, res.Err))
			if _, err := patcher.Patch(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, err
			}
			rt.Events.Event(ctx, obj, corev1.EventTypeWarning, fluxmeta.DeletionFailedReason, res.message(), s.metadata)
			return ctrl.Result{}, res.Err
		}
		for _, e := range s.events {
			rt.Events.Event(ctx, obj, e.eventType, e.reason, e.message, s.metadata)
		}
	}
	res, err := patchFinalizers(ctx, rt.Client, obj, func() { controllerutil.RemoveFinalizer(obj, kind.Finalizer) })
	if err == nil && res.RequeueAfter == 0 {
		rt.Metrics.Forget(ref)
	}
	return res, err
}

// patchFinalizers applies change to obj's finalizers and writes them with an optimistic lock,
// so a finalizer another party added meanwhile is never dropped. A conflict requeues silently;
// an object already gone is done.
func patchFinalizers(ctx context.Context, c client.Client, obj client.Object, change func()) (ctrl.Result, error) {
	before := obj.DeepCopyObject().(client.Object)
	change()
	err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	switch {
	case err == nil || apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case apierrors.IsConflict(err):
		return ctrl.Result{RequeueAfter: retryOnConflict}, nil
	}
	return ctrl.Result{}, fmt.Errorf("failed to patch finalizers: %w", err)
}

func metricsRef[T Object](kind *Kind[T], namespace, name string) metrics.ObjectRef {
	return metrics.ObjectRef{Kind: kind.Name, Namespace: namespace, Name: name}
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
