package kustomization

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

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
