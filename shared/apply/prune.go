package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PruneOptions tunes PruneWith.
type PruneOptions struct {
	// OwnerLabels, when set, are labels an object must carry to be deleted: an object
	// whose labels name another owner (it moved to another Kustomization) is skipped.
	OwnerLabels map[string]string
}

// Prune deletes the referenced objects (those Diff found leaving the inventory) with
// background propagation. It skips objects annotated prune: disabled or reconcile: disabled
// and those already gone, and returns what it deleted or skipped.
func (m *Manager) Prune(ctx context.Context, refs []ObjectRef) (*ChangeSet, error) {
	return m.PruneWith(ctx, refs, PruneOptions{})
}

// PruneWith is Prune with options.
func (m *Manager) PruneWith(ctx context.Context, refs []ObjectRef, opts PruneOptions) (*ChangeSet, error) {
	cs := &ChangeSet{}
	for _, ref := range refs {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(ref.GroupVersionKind())
		err := m.client.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, live)
		// An object of a kind the cluster no longer serves (its CRD left with the rest of
		// the inventory) is gone as well.
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			cs.add(ref, Skipped)
			continue
		}
		if err != nil {
			return cs, fmt.Errorf("failed to get %s: %w", ref, err)
		}
		if value(live, m.annotations.Prune) == disabledValue || m.disabled(live) ||
			live.GetDeletionTimestamp() != nil || !hasLabels(live, opts.OwnerLabels) {
			cs.add(ref, Skipped)
			continue
		}
		err = m.client.Delete(ctx, live, client.PropagationPolicy(metav1.DeletePropagationBackground),
			client.Preconditions{UID: ptr(live.GetUID())})
		if err != nil && !apierrors.IsNotFound(err) {
			return cs, fmt.Errorf("failed to delete %s: %w", ref, err)
		}
		cs.add(ref, Deleted)
	}
	return cs, nil
}

func ptr[T any](v T) *T { return &v }

// hasLabels reports whether obj carries every label of want.
func hasLabels(obj *unstructured.Unstructured, want map[string]string) bool {
	labels := obj.GetLabels()
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}
