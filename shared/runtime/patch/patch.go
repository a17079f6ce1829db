// Package patch writes the status of a toolkit object in one request, and only when it changed.
package patch

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// StatusPatcher remembers an object's status as it was read and patches the difference.
type StatusPatcher struct {
	client client.Client
	before client.Object
}

// NewStatusPatcher snapshots obj so that a later Patch can send only what changed.
func NewStatusPatcher(c client.Client, obj client.Object) *StatusPatcher {
	return &StatusPatcher{client: c, before: obj.DeepCopyObject().(client.Object)}
}

// Patch writes obj's status with a single JSON merge patch of the status subresource when it
// differs from the snapshot, and reports whether a request was sent. The snapshot is then
// advanced, so a second Patch without changes sends nothing.
func (p *StatusPatcher) Patch(ctx context.Context, obj client.Object) (bool, error) {
	changed, err := statusChanged(p.before, obj)
	if err != nil || !changed {
		return false, err
	}
	if err := p.client.Status().Patch(ctx, obj, client.MergeFrom(p.before)); err != nil {
		return true, fmt.Errorf("failed to patch status: %w", err)
	}
	p.before = obj.DeepCopyObject().(client.Object)
	return true, nil
}

func statusChanged(before, after runtime.Object) (bool, error) {
	b, err := statusOf(before)
	if err != nil {
		return false, err
	}
	a, err := statusOf(after)
	if err != nil {
		return false, err
	}
	return !apiequality.Semantic.DeepEqual(a, b), nil
}

func statusOf(obj runtime.Object) (any, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("failed to convert object: %w", err)
	}
	return u["status"], nil
}
