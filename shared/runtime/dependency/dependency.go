// Package dependency lets an object wait for the objects in its spec.dependsOn without
// polling: an index maps each dependency to its dependents, and a watch on the dependencies
// enqueues the dependents when a dependency's readiness changes.
package dependency

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// IndexKey is the field index holding, for each object, the "<namespace>/<name>" keys of its
// dependencies.
const IndexKey = ".metadata.dependsOn"

// Dependent is an object with dependencies of its own kind.
type Dependent interface {
	reconcile.Object
	// GetDependsOn returns spec.dependsOn.
	GetDependsOn() []fluxmeta.DependencyReference
}

// Keys returns the index keys of obj's dependencies; a dependency without a namespace is in
// obj's namespace.
func Keys(obj Dependent) []string {
	deps := obj.GetDependsOn()
	keys := make([]string, 0, len(deps))
	for _, d := range deps {
		keys = append(keys, key(obj, d))
	}
	return keys
}

func key(obj client.Object, d fluxmeta.DependencyReference) string {
	return dependencyName(obj, d).String()
}

func dependencyName(obj client.Object, d fluxmeta.DependencyReference) types.NamespacedName {
	ns := d.Namespace
	if ns == "" {
		ns = obj.GetNamespace()
	}
	return types.NamespacedName{Namespace: ns, Name: d.Name}
}

// SetupIndex registers IndexKey for objects like obj with the manager's cache.
func SetupIndex(ctx context.Context, mgr ctrl.Manager, obj Dependent) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, obj, IndexKey, func(o client.Object) []string {
		return Keys(o.(Dependent))
	})
	if err != nil {
		return fmt.Errorf("failed to index dependencies: %w", err)
	}
	return nil
}

// EnqueueDependents maps a dependency to the requests of the objects in newList's kind that
// depend on it.
func EnqueueDependents(c client.Client, newList func() client.ObjectList) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, dep client.Object) []ctrl.Request {
		list := newList()
		k := client.ObjectKeyFromObject(dep).String()
		if err := c.List(ctx, list, client.MatchingFields{IndexKey: k}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "unable to list dependents", "dependency", k)
			return nil
		}
		var reqs []ctrl.Request
		for _, o := range extract(list) {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
		return reqs
	})
}

// ReadinessChanged passes creations (a dependent that found its dependency missing learns it
// now exists), updates that change whether a dependency is ready for its current generation,
// and deletions.
func ReadinessChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(fluxmeta.StatusObject)
			n, ok2 := e.ObjectNew.(fluxmeta.StatusObject)
			return ok1 && ok2 && conditions.IsReady(o) != conditions.IsReady(n)
		},
	}
}

// Check returns a Waiting result naming the first dependency of obj that does not exist or is
// not Ready at its current generation, or a Done result when all are ready. newDep returns an
// empty object of the dependencies' kind.
func Check[T reconcile.Object](ctx context.Context, c client.Client, obj Dependent, newDep func() T) reconcile.Result {
	for _, d := range obj.GetDependsOn() {
		nn := dependencyName(obj, d)
		k := nn.String()
		dep := newDep()
		if err := c.Get(ctx, nn, dep); err != nil {
			if apierrors.IsNotFound(err) {
				return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' not found", k))
			}
			return reconcile.Transient(fluxmeta.DependencyNotReadyReason, fmt.Errorf("failed to get dependency '%s': %w", k, err))
		}
		if !conditions.IsReady(dep) {
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' is not ready", k))
		}
	}
	return reconcile.Done("", "")
}
