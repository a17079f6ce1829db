package health

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultInterval is how often Wait polls when WaitOptions.Interval is zero.
const DefaultInterval = 2 * time.Second

// The polls of Wait start firstInterval apart and the gap grows by backoffFactor up to the
// interval, so that an object Current after t is seen by about 1.25 t (a Deployment that
// rolls out in 0.4 s is not waited on for a whole interval) while a long wait costs no more
// requests than polling at the interval.
const (
	firstInterval = 100 * time.Millisecond
	backoffFactor = 1.25
)

// ObjectRef names one object to wait for.
type ObjectRef struct {
	// APIVersion is the group/version of the object, for example apps/v1.
	APIVersion string
	// Kind is the kind of the object, for example Deployment.
	Kind string
	// Namespace is empty for cluster-scoped objects.
	Namespace string
	// Name is the name of the object.
	Name string
}

// RefOf returns the reference of obj.
func RefOf(obj *unstructured.Unstructured) ObjectRef {
	return ObjectRef{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// String returns Kind/namespace/name, or Kind/name for a cluster-scoped object.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// WaitOptions tunes Wait.
type WaitOptions struct {
	// Interval is the longest gap between two polls (the first ones come sooner);
	// DefaultInterval when zero.
	Interval time.Duration
	// Compute decides the readiness of each object; the package's Compute
	// when nil. (*Checks).Compute adds custom CEL health checks.
	Compute func(*unstructured.Unstructured) (Result, error)
}

// FailedError is returned by Wait when an object is Failed.
type FailedError struct {
	// Ref is the failed object.
	Ref ObjectRef
	// Result explains the failure.
	Result Result
}

// Error returns the object and the reason of its failure.
func (e *FailedError) Error() string {
	return fmt.Sprintf("%s failed: %s", e.Ref, e.Result.Message)
}

// Pending is an object that is not Current yet and why.
type Pending struct {
	// Ref is the object.
	Ref ObjectRef
	// Result is its latest readiness.
	Result Result
}

// TimeoutError is returned by Wait when its context ends before every object
// is Current. It unwraps to the context's error.
type TimeoutError struct {
	// Pending lists the objects not yet Current, sorted by reference.
	Pending []Pending
	// Err is the context's error.
	Err error
}

// Error lists each object that is not Current and why, in a stable order.
func (e *TimeoutError) Error() string {
	parts := make([]string, len(e.Pending))
	for i, p := range e.Pending {
		parts[i] = fmt.Sprintf("%s: %s", p.Ref, p.Result)
	}
	what := "timed out"
	if !errors.Is(e.Err, context.DeadlineExceeded) {
		what = "stopped"
	}
	return fmt.Sprintf("%s waiting for %d object(s) to become Current: %s", what, len(e.Pending), strings.Join(parts, "; "))
}

// Unwrap returns the context's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Wait polls each object through c until all are Current. It returns a
// *FailedError as soon as one object is Failed, and a *TimeoutError listing
// the objects not yet Current when ctx ends. Objects that are missing,
// terminating or unreadable are polled again until ctx ends.
func Wait(ctx context.Context, c client.Reader, refs []ObjectRef, opts WaitOptions) error {
	compute := opts.Compute
	if compute == nil {
		compute = Compute
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	pending := uniqueSorted(refs)
	last := make(map[ObjectRef]Result, len(pending))
	gap := min(firstInterval, interval)
	timer := time.NewTimer(gap)
	defer timer.Stop()
	for {
		var next []ObjectRef
		for _, ref := range pending {
			res, read := check(ctx, c, ref, compute)
			if prev, ok := last[ref]; !read && ok {
				// A failed read (often the client's rate limiter
				// refusing to outlive ctx) keeps what was known.
				res = prev
			}
			if ctx.Err() != nil {
				return timeout(ctx, pending, last)
			}
			if res.Status == Failed {
				return &FailedError{Ref: ref, Result: res}
			}
			if res.Status != Current {
				last[ref] = res
				next = append(next, ref)
			}
		}
		if pending = next; len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return timeout(ctx, pending, last)
		case <-timer.C:
		}
		gap = min(time.Duration(float64(gap)*backoffFactor), interval)
		timer.Reset(gap)
	}
}

// check reads one object and computes its readiness; read is false when the
// object could not be read.
func check(ctx context.Context, c client.Reader, ref ObjectRef, compute func(*unstructured.Unstructured) (Result, error)) (res Result, read bool) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return Result{Status: Unknown, Message: fmt.Sprintf("failed to parse apiVersion %q: %v", ref.APIVersion, err)}, false
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gv.WithKind(ref.Kind))
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return Result{Status: NotFound, Message: fmt.Sprintf("%s not found", ref.Kind)}, true
		}
		return Result{Status: Unknown, Message: fmt.Sprintf("failed to get %s: %v", ref, err)}, false
	}
	res, err = compute(obj)
	if err != nil {
		return Result{Status: Unknown, Message: fmt.Sprintf("failed to compute the health of %s: %v", ref, err)}, true
	}
	return res, true
}

// timeout builds the error Wait returns when ctx ends.
func timeout(ctx context.Context, pending []ObjectRef, last map[ObjectRef]Result) error {
	out := make([]Pending, len(pending))
	for i, ref := range pending {
		res, ok := last[ref]
		if !ok {
			res = Result{Status: Unknown, Message: "not checked yet"}
		}
		out[i] = Pending{Ref: ref, Result: res}
	}
	return &TimeoutError{Pending: out, Err: ctx.Err()}
}

// uniqueSorted returns refs without duplicates, sorted by String.
func uniqueSorted(refs []ObjectRef) []ObjectRef {
	seen := make(map[ObjectRef]bool, len(refs))
	out := make([]ObjectRef, 0, len(refs))
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].String(), out[j].String(); a != b {
			return a < b
		}
		return out[i].APIVersion < out[j].APIVersion
	})
	return out
}
