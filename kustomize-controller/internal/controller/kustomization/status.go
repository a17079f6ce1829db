package kustomization

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// record adds the reconcile to status.history when it built the objects of a revision:
// whatever step it ended at, its outcome is the reason of the Ready condition.
func (st *state) record(_ context.Context, s *scope, _ reconcile.Result) {
	if st.digest == "" {
		return
	}
	obj := s.Obj
	status := ""
	if c := conditions.Get(obj, fluxmeta.ReadyCondition); c != nil {
		status = c.Reason
	}
	metadata := map[string]string{"revision": st.artifact.Revision}
	if origin := st.artifact.Metadata[originRevisionKey]; origin != "" {
		metadata["originRevision"] = origin
	}
	obj.Status.History.Upsert(st.digest, metav1.Now(), time.Since(st.start), status, metadata)
}

// finish records the applied revision and, when anything changed, an event listing the
// changes.
func (st *state) finish(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	revision := st.artifact.Revision
	newRevision := obj.Status.LastAppliedRevision != revision
	obj.Status.LastAppliedRevision = revision
	obj.Status.LastAppliedOriginRevision = st.artifact.Metadata[originRevisionKey]
	changes := summary(st.changes, st.pruned)
	if changes != "" {
		s.Event(corev1.EventTypeNormal, fluxmeta.ReconciliationSucceededReason, changes)
	} else if newRevision {
		s.Event(corev1.EventTypeNormal, fluxmeta.ReconciliationSucceededReason, "Applied revision: "+revision)
	}
	return reconcile.Done(fluxmeta.ReconciliationSucceededReason, "Applied revision: "+revision)
}
