// Package controller holds the watch predicates every toolkit controller shares.
package controller

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// ReconcileRequested passes updates that change the reconcile.fluxcd.io/requestedAt annotation,
// so `flux reconcile` (and `ferry reconcile`) trigger an immediate run.
func ReconcileRequested() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return false
			}
			o, _ := fluxmeta.GetRequestedAt(e.ObjectOld)
			n, ok := fluxmeta.GetRequestedAt(e.ObjectNew)
			return ok && n != o
		},
	}
}

// Default passes what a toolkit object's own watch reacts to: creation, deletion, a new
// generation (spec change, including suspend and resume), a finalizer being removed from a
// deleted object, and a reconcile request.
func Default() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, ReconcileRequested())
}
