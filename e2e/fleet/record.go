package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolswatch "k8s.io/client-go/tools/watch"
)

// APIRecordFile is the file, in the fleet's directory, where a Recorder writes what it saw.
const APIRecordFile = "api.jsonl"

// toolkitGroupSuffix ends the API groups of Ferry's kinds.
const toolkitGroupSuffix = ".toolkit.fluxcd.io"

// Recorder writes every Event and every status of every Ferry object the API server holds
// during a run, as they change, to one JSON line each, so that what a test deleted on its
// way (a namespace and its Events) is still there to check for leaked secrets at the end.
type Recorder struct {
	dyn       dynamic.Interface
	resources []schema.GroupVersionResource
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu   sync.Mutex
	out  *os.File
	seen map[string][32]byte // object key -> the hash of the last line written for it
	err  error
}

// events is the resource of core Events.
var events = schema.GroupVersionResource{Version: "v1", Resource: "events"}

// StartRecorder starts watching Events and the objects of every toolkit group the API server
// serves (their preferred versions), writing to path.
func StartRecorder(cfg *rest.Config, path string) (*Recorder, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create a dynamic client: %w", err)
	}
	resources, err := toolkitResources(dc)
	if err != nil {
		return nil, err
	}
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{dyn: dyn, resources: append(resources, events), cancel: cancel, out: out, seen: map[string][32]byte{}}
	for _, gvr := range r.resources {
		rv, err := r.list(ctx, gvr)
		if err != nil {
			return nil, errors.Join(err, r.Stop())
		}
		w, err := toolswatch.NewRetryWatcherWithContext(ctx, rv, &watcher{dyn: dyn, gvr: gvr})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("failed to watch %s: %w", gvr, err), r.Stop())
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer w.Stop()
			for ev := range w.ResultChan() {
				if o, ok := ev.Object.(*unstructured.Unstructured); ok && ev.Type != watch.Error {
					r.write(gvr, o)
				}
			}
		}()
	}
	return r, nil
}

// toolkitResources returns the resources of the toolkit groups, at their preferred versions.
func toolkitResources(dc discovery.DiscoveryInterface) ([]schema.GroupVersionResource, error) {
	groups, err := dc.ServerGroups()
	if err != nil {
		return nil, fmt.Errorf("failed to discover the API groups: %w", err)
	}
	var out []schema.GroupVersionResource
	for _, g := range groups.Groups {
		if !strings.HasSuffix(g.Name, toolkitGroupSuffix) {
			continue
		}
		list, err := dc.ServerResourcesForGroupVersion(g.PreferredVersion.GroupVersion)
		if err != nil {
			return nil, fmt.Errorf("failed to discover %s: %w", g.PreferredVersion.GroupVersion, err)
		}
		for _, res := range list.APIResources {
			if !strings.Contains(res.Name, "/") {
				out = append(out, schema.GroupVersionResource{Group: g.Name, Version: g.PreferredVersion.Version, Resource: res.Name})
			}
		}
	}
	return out, nil
}

// list writes every object of gvr and returns the list's resource version.
func (r *Recorder) list(ctx context.Context, gvr schema.GroupVersionResource) (string, error) {
	l, err := r.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to list %s: %w", gvr, err)
	}
	for i := range l.Items {
		r.write(gvr, &l.Items[i])
	}
	return l.GetResourceVersion(), nil
}

// write records o: an Event whole, any other object its status, each only when it changed.
func (r *Recorder) write(gvr schema.GroupVersionResource, o *unstructured.Unstructured) {
	rec := map[string]any{"resource": gvr.String(), "namespace": o.GetNamespace(), "name": o.GetName()}
	if gvr == events {
		o = o.DeepCopy()
		unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
		rec["event"] = o.Object
	} else {
		rec["status"] = o.Object["status"]
		rec["annotations"] = o.GetAnnotations()
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	key := gvr.String() + "/" + string(o.GetUID())
	sum := sha256.Sum256(line)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out == nil || r.seen[key] == sum {
		return
	}
	r.seen[key] = sum
	if _, err := r.out.Write(append(line, '\n')); err != nil && r.err == nil {
		r.err = err
	}
}

// Stop writes what the API server holds now (so that the record ends with the last state of
// every object still there) and stops the watches.
func (r *Recorder) Stop() error {
	var errs []error
	for _, gvr := range r.resources {
		if _, err := r.list(context.Background(), gvr); err != nil {
			errs = append(errs, err)
		}
	}
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	errs = append(errs, r.err, r.out.Close())
	r.out = nil
	return errors.Join(errs...)
}

// watcher is the watcher of one resource that a RetryWatcher needs.
type watcher struct {
	dyn dynamic.Interface
	gvr schema.GroupVersionResource
}

// WatchWithContext watches every namespace.
func (c *watcher) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return c.dyn.Resource(c.gvr).Watch(ctx, opts)
}
