package ui

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// watcher keeps the store up to date with one informer per toolkit kind the API server
// serves, through the user's credentials.
type watcher struct {
	store     *store
	access    *access
	namespace string
	kinds     []*watchedKind
}

// watchedKind is the informer of one kind and whether it can list it at all.
type watchedKind struct {
	kind     *kinds.Kind
	gvr      schema.GroupVersionResource
	informer cache.SharedIndexInformer
	// handler is the registration of the graph's handler, synced once it has seen the list.
	handler cache.ResourceEventHandlerRegistration
	// failed is set when the list or watch was refused; the kind then counts as synced.
	failed atomic.Bool
}

// newWatcher prepares an informer for every kind of the table that mapper knows; the
// kinds it does not know are recorded as warnings.
func newWatcher(dyn dynamic.Interface, mapper apimeta.RESTMapper, st *store, acc *access, namespace string) *watcher {
	w := &watcher{store: st, access: acc, namespace: namespace}
	for _, k := range kinds.All() {
		gvk := k.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			st.warn(k.Kind, "not served by the API server: "+err.Error())
			continue
		}
		wk := &watchedKind{kind: k, gvr: mapping.Resource}
		wk.informer = dynamicinformer.NewFilteredDynamicInformer(dyn, mapping.Resource, namespace, 0,
			cache.Indexers{}, nil).Informer()
		w.kinds = append(w.kinds, wk)
	}
	return w
}

// start registers the handlers and runs the informers until ctx ends.
func (w *watcher) start(ctx context.Context) error {
	for _, wk := range w.kinds {
		wk := wk
		if err := wk.informer.SetTransform(stripManagedFields); err != nil {
			return fmt.Errorf("failed to set up the %s informer: %w", wk.kind, err)
		}
		if err := wk.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				wk.failed.Store(true)
				w.store.warn(wk.kind.Kind, "cannot be listed: "+err.Error())
			}
		}); err != nil {
			return fmt.Errorf("failed to set up the %s informer: %w", wk.kind, err)
		}
		var err error
		wk.handler, err = wk.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.update(ctx, wk, obj) },
			UpdateFunc: func(_, obj any) { w.update(ctx, wk, obj) },
			DeleteFunc: func(obj any) { w.remove(wk, obj) },
		})
		if err != nil {
			return fmt.Errorf("failed to set up the %s informer: %w", wk.kind, err)
		}
		go wk.informer.Run(ctx.Done())
	}
	return nil
}

// waitSynced waits until the graph holds every object of the first lists (or the list was
// refused).
func (w *watcher) waitSynced(ctx context.Context) error {
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		pending := ""
		for _, wk := range w.kinds {
			if !wk.handler.HasSynced() && !wk.failed.Load() {
				pending = wk.kind.Kind
				break
			}
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to list %s objects: %w", pending, ctx.Err())
		case <-ticker.C:
		}
	}
}

// update turns an added or changed object into a node.
func (w *watcher) update(ctx context.Context, wk *watchedKind, obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	typed := wk.kind.New()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
		w.store.warn(wk.kind.Kind, fmt.Sprintf("failed to read %s/%s: %v", u.GetNamespace(), u.GetName(), err))
		return
	}
	w.store.warn(wk.kind.Kind, "")
	canPatch := w.access.allowed(ctx, "patch", wk.gvr, u.GetNamespace())
	w.store.upsert(NewNode(wk.kind, typed, canPatch))
}

// remove deletes the node of a deleted object.
func (w *watcher) remove(wk *watchedKind, obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if o, ok := obj.(interface{ GetNamespace() string }); ok {
		if named, ok := obj.(interface{ GetName() string }); ok {
			w.store.remove(ID(wk.kind.Kind, o.GetNamespace(), named.GetName()))
		}
	}
}

// stripManagedFields drops what the graph never reads from the informer's copy, to keep
// memory down on large clusters.
func stripManagedFields(obj any) (any, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		u.SetManagedFields(nil)
		ann := u.GetAnnotations()
		if _, ok := ann["kubectl.kubernetes.io/last-applied-configuration"]; ok {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
			u.SetAnnotations(ann)
		}
	}
	return obj, nil
}
