// Package controller holds the watch predicates every toolkit controller shares.
package controller

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// Lifecycle passes the creation and the deletion of an object of type T, and those of its
// updates for which changed(old, new) holds (none when changed is nil); generic events never
// pass. It is the predicate of a watch on another kind whose objects matter while they exist
// and through some of their fields (a policy's elected image, a repository's tags).
func Lifecycle[T client.Object](changed func(old, new T) bool) predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(T)
			n, ok2 := e.ObjectNew.(T)
			return ok1 && ok2 && changed != nil && changed(o, n)
		},
	}
}

// Deleted passes deletions only: an owner recreates what was deleted under it.
func Deleted() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// AnnotationChanged passes updates that set, change or clear the annotation key.
func AnnotationChanged(key string) predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return false
			}
			return e.ObjectOld.GetAnnotations()[key] != e.ObjectNew.GetAnnotations()[key]
		},
	}
}
