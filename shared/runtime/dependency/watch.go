package dependency

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Changed reports whether an update of a dependency matters to all its dependents, beyond
// what Watch looks at (a Kustomization's applied revision, say).
type Changed func(old, cur client.Object) bool

// Watch adds to b one watch per kind of set. A dependency's creation or deletion enqueues the
// objects of newList's kind that depend on it; an update enqueues those to which it can
// matter: all of them when its readiness changes or also passes, and those with a readyExpr
// for it when the expression's result for the old and the new object differ. So dependents
// are woken when their answer may change, and not by every status write of a dependency.
// A kind of Others that the cluster does not serve (its controller and CRD were left out of
// the install) is not watched: the controller still starts, and a dependency of that kind is
// retried with back-off. A kind of Others is watched from the first time Check meets a
// reference to it (for a set made by Appliers): until a dependent names one, the controller
// neither caches that kind nor decodes every status write of its objects.
func Watch(b *builder.Builder, mgr ctrl.Manager, set Set, newList func() client.ObjectList, also Changed) *builder.Builder {
	c := mgr.GetClient()
	for i, k := range set.kinds() {
		if i > 0 && !served(c, k) {
			continue
		}
		w := &watcher{c: c, set: set, kind: k, newList: newList, also: also}
		h := handler.Funcs{
			CreateFunc: func(ctx context.Context, e event.CreateEvent, q queue) { w.enqueue(ctx, q, nil, e.Object) },
			UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) { w.enqueue(ctx, q, e.ObjectOld, e.ObjectNew) },
			DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q queue) { w.enqueue(ctx, q, nil, e.Object) },
		}
		if i == 0 || set.lazy == nil {
			b = b.Watches(k.New(), h)
			continue
		}
		src := &lazySource{src: source.Kind[client.Object](mgr.GetCache(), k.New(), h)}
		set.lazy.add(k.Name, src)
		b = b.WatchesRawSource(src)
	}
	return b
}

type queue = workqueue.TypedRateLimitingInterface[ctrl.Request]

// served reports whether the cluster serves kind k.
func served(c client.Client, k Kind) bool {
	_, err := c.RESTMapper().RESTMapping(schema.GroupKind{Group: k.GroupVersion.Group, Kind: k.Name}, k.GroupVersion.Version)
	if err != nil {
		ctrl.Log.Info("dependencies of this kind are not watched: the cluster does not serve it", "kind", k.Name, "error", err.Error())
		return false
	}
	return true
}

// watcher maps the objects of one kind to their dependents.
type watcher struct {
	c       client.Reader
	set     Set
	kind    Kind
	newList func() client.ObjectList
	also    Changed
}

// enqueue adds the dependents of cur to q; old is nil for a creation or deletion, after
// which every dependent looks again.
func (w *watcher) enqueue(ctx context.Context, q queue, old, cur client.Object) {
	k := key(w.kind.Name, client.ObjectKeyFromObject(cur))
	list := w.newList()
	if err := w.c.List(ctx, list, client.MatchingFields{IndexKey: k}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "unable to list dependents", "dependency", k)
		return
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return
	}
	all := old == nil || (w.also != nil && w.also(old, cur)) || readinessChanged(old, cur)
	for _, it := range items {
		d, ok := it.(Dependent)
		if !ok {
			continue
		}
		if all && w.usesReady(d, k) || old == nil || w.exprChanged(d, k, old, cur) {
			q.Add(ctrl.Request{NamespacedName: client.ObjectKeyFromObject(d)})
		}
	}
}

// readinessChanged reports whether the Ready check of a dependency gives another answer.
func readinessChanged(old, cur client.Object) bool {
	o, ok1 := old.(reconcile.Object)
	n, ok2 := cur.(reconcile.Object)
	return ok1 && ok2 && conditions.IsReady(o) != conditions.IsReady(n)
}

// usesReady reports whether d has a reference to the dependency of key k that the Ready
// check (or the caller's own checks) decides.
func (w *watcher) usesReady(d Dependent, k string) bool {
	for _, ref := range d.GetDependsOn() {
		if key(kindOf(ref, w.set.Own.Name), dependencyName(d, ref)) == k && w.set.BuiltIn(ref) {
			return true
		}
	}
	return false
}

// exprChanged reports whether a readyExpr of d for the dependency of key k gives another
// result (or error) for cur than for old.
func (w *watcher) exprChanged(d Dependent, k string, old, cur client.Object) bool {
	for _, ref := range d.GetDependsOn() {
		if ref.ReadyExpr == "" || key(kindOf(ref, w.set.Own.Name), dependencyName(d, ref)) != k {
			continue
		}
		p, err := compileExpr(ref.ReadyExpr)
		if err != nil {
			continue // the dependent is stalled until its spec changes
		}
		self := objectMap(d, w.set.Own.GroupVersion, w.set.Own.Name)
		was, errOld := p.eval(objectMap(old, w.kind.GroupVersion, w.kind.Name), self)
		is, errNew := p.eval(objectMap(cur, w.kind.GroupVersion, w.kind.Name), self)
		if was != is || (errOld == nil) != (errNew == nil) {
			return true
		}
	}
	return false
}
