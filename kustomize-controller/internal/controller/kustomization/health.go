package kustomization

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/health"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// errSuperseded cancels a health check when a new source revision arrives.
var errSuperseded = errors.New("a new source revision is available")

// health waits, up to spec.timeout, until the applied objects (spec.wait) or those of
// spec.healthChecks are Current, failing fast on a Failed object. The objects as the apply
// left them (the others read once) are the first observation: when all are ready at once,
// the reconcile neither waits nor writes its status more than once.
func (st *state) health(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	refs, observed, err := st.healthRefs(obj)
	if err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	if len(refs) == 0 {
		conditions.Delete(obj, kustomizev1.HealthyCondition)
		return reconcile.Done("", "")
	}
	checks, err := health.NewChecks(obj.Spec.HealthCheckExprs)
	if err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	observe(ctx, st.target.client, refs, observed)
	var pending []health.ObjectRef
	for _, ref := range refs {
		if o := observed[ref]; o != nil {
			res, err := checks.Compute(o)
			if err == nil && res.Status == health.Current {
				continue
			}
			if err == nil && res.Status == health.Failed {
				return st.unhealthy(s, &health.FailedError{Ref: ref, Result: res})
			}
		}
		pending = append(pending, ref)
	}
	if len(pending) > 0 {
		if res := st.wait(ctx, s, pending, checks); !res.IsDone() {
			return res
		}
	}
	conditions.MarkTrue(obj, kustomizev1.HealthyCondition, fluxmeta.SucceededReason, "Health check passed")
	return reconcile.Done("", "")
}

// wait shows that the health check is running (Reconciling=True, Ready and Healthy Unknown)
// and waits, up to spec.timeout, until the pending objects are Current. A new source revision,
// a new spec or the deletion of the Kustomization cancels the wait.
func (st *state) wait(ctx context.Context, s *scope, pending []health.ObjectRef, checks *health.Checks) reconcile.Result {
	obj := s.Obj
	msg := fmt.Sprintf("Running health checks for revision %s with a timeout of %s", st.artifact.Revision, obj.GetTimeout())
	conditions.MarkUnknown(obj, kustomizev1.HealthyCondition, fluxmeta.ProgressingReason, msg)
	if err := s.Progressing(ctx, msg); err != nil {
		return reconcile.Transient(fluxmeta.ProgressingReason, fmt.Errorf("failed to report the health check: %w", err))
	}
	wctx, done := st.r.waits.start(ctx, client.ObjectKeyFromObject(obj), st.artifact.Revision, obj.GetTimeout())
	err := health.Wait(wctx, st.target.client, pending, health.WaitOptions{Interval: healthInterval, Compute: checks.Compute})
	if superseded := done(); superseded {
		return reconcile.Waiting(fluxmeta.ProgressingReason, fmt.Errorf("health check canceled: %w", errSuperseded))
	}
	if err != nil {
		return st.unhealthy(s, err)
	}
	return reconcile.Done("", "")
}

// unhealthy records a failed health check: Healthy=False, the changes applied so far as an
// event, and a retry.
func (st *state) unhealthy(s *scope, err error) reconcile.Result {
	err = fmt.Errorf("health check failed after %s: %w", time.Since(st.start).Round(time.Second), err)
	conditions.MarkFalse(s.Obj, kustomizev1.HealthyCondition, fluxmeta.HealthCheckFailedReason, err.Error())
	if changes := summary(st.changes, st.pruned); changes != "" {
		s.Event(corev1.EventTypeNormal, fluxmeta.ProgressingReason, changes)
	}
	return reconcile.Transient(fluxmeta.HealthCheckFailedReason, err)
}

// healthRefs returns the objects to check and what the apply saw of them: every applied
// object with spec.wait, else those of spec.healthChecks.
func (st *state) healthRefs(obj *kustomizev1.Kustomization) ([]health.ObjectRef, map[health.ObjectRef]*unstructured.Unstructured, error) {
	observed := map[health.ObjectRef]*unstructured.Unstructured{}
	var applied []health.ObjectRef
	for _, e := range st.changes.Entries {
		if e.Action == apply.Skipped {
			continue
		}
		ref := healthRef(e.Ref)
		applied = append(applied, ref)
		observed[ref] = e.Object
	}
	if obj.Spec.Wait {
		return applied, observed, nil
	}
	refs := make([]health.ObjectRef, 0, len(obj.Spec.HealthChecks))
	for _, hc := range obj.Spec.HealthChecks {
		ref := health.ObjectRef{APIVersion: hc.APIVersion, Kind: hc.Kind, Namespace: hc.Namespace, Name: hc.Name}
		if ref.Namespace == "" {
			ref.Namespace = obj.Namespace
		}
		if ref.APIVersion == "" {
			ref.APIVersion = versionOf(applied, ref)
		}
		if ref.APIVersion == "" {
			return nil, nil, fmt.Errorf("health check %s/%s/%s has no apiVersion and is not in the build", ref.Kind, ref.Namespace, ref.Name)
		}
		refs = append(refs, ref)
	}
	return refs, observed, nil
}

// observe reads the objects of refs that the apply did not return (those of
// spec.healthChecks outside the build) into observed. An object it cannot read stays
// unobserved, for the wait to read again.
func observe(ctx context.Context, c client.Reader, refs []health.ObjectRef, observed map[health.ObjectRef]*unstructured.Unstructured) {
	for _, ref := range refs {
		if observed[ref] != nil {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(ref.APIVersion)
		u.SetKind(ref.Kind)
		if err := c.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, u); err == nil {
			observed[ref] = u
		}
	}
}

// healthRef converts an apply reference.
func healthRef(r apply.ObjectRef) health.ObjectRef {
	return health.ObjectRef{APIVersion: r.APIVersion(), Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// versionOf finds the apiVersion of ref's kind and name among the applied objects.
func versionOf(applied []health.ObjectRef, ref health.ObjectRef) string {
	for _, a := range applied {
		if a.Kind == ref.Kind && a.Name == ref.Name && (a.Namespace == ref.Namespace || a.Namespace == "") {
			return a.APIVersion
		}
	}
	return ""
}

// waits tracks the running health checks so that a new source revision cancels them.
type waits struct {
	mu      sync.Mutex
	running map[types.NamespacedName]*running
}

type running struct {
	revision   string
	cancel     context.CancelFunc
	superseded bool
}

func newWaits() *waits { return &waits{running: map[types.NamespacedName]*running{}} }

// start registers a health check of nn at revision, bounded by timeout. done unregisters it
// and reports whether a new revision cancelled it.
func (w *waits) start(ctx context.Context, nn types.NamespacedName, revision string, timeout time.Duration) (context.Context, func() bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	entry := &running{revision: revision, cancel: cancel}
	w.mu.Lock()
	w.running[nn] = entry
	w.mu.Unlock()
	return ctx, func() bool {
		cancel()
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.running[nn] == entry {
			delete(w.running, nn)
		}
		return entry.superseded
	}
}

// cancelUnless cancels the health check of nn unless it is for revision.
func (w *waits) cancelUnless(nn types.NamespacedName, revision string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if entry, ok := w.running[nn]; ok && entry.revision != revision {
		entry.superseded = true
		entry.cancel()
	}
}

// cancel cancels the health check of nn, whatever its revision: the Kustomization is being
// deleted, or its spec changed, so the check's outcome no longer matters.
func (w *waits) cancel(nn types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if entry, ok := w.running[nn]; ok {
		entry.superseded = true
		entry.cancel()
	}
}
