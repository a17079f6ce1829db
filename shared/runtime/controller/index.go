package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
)

// Index registers with the manager's cache a field index named index on objects like obj,
// whose values for an object are what keys returns.
func Index(ctx context.Context, mgr ctrl.Manager, obj client.Object, index string, keys func(client.Object) []string) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, obj, index, keys); err != nil {
		return fmt.Errorf("failed to index %T by %s: %w", obj, index, err)
	}
	return nil
}

// EnqueueIndexed returns the handler that maps an object o to the requests of the objects of
// newList's kind whose field index holds key(o). Each request is first handed to the
// optional notify, e.g. to cancel work the change makes obsolete.
func EnqueueIndexed(c client.Reader, newList func() client.ObjectList, index string, key func(client.Object) string,
	notify func(ctx context.Context, o client.Object, req ctrl.Request)) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
		list := newList()
		k := key(o)
		if err := c.List(ctx, list, client.MatchingFields{index: k}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "unable to list the objects referring to an object", "index", index, "key", k)
			return nil
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "unable to read a list", "index", index)
			return nil
		}
		reqs := make([]ctrl.Request, 0, len(items))
		for _, it := range items {
			obj, ok := it.(client.Object)
			if !ok {
				continue
			}
			req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}
			if notify != nil {
				notify(ctx, o, req)
			}
			reqs = append(reqs, req)
		}
		return reqs
	})
}
