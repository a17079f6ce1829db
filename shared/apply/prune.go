package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// Prune deletes the referenced objects (those Diff found leaving the inventory) with
// background propagation. It skips objects annotated prune: disabled and those already
// gone, and returns what it deleted or skipped.
func (m *Manager) Prune(ctx context.Context, refs []ObjectRef) (*ChangeSet, error) {
	cs := &ChangeSet{}
	for _, ref := range refs {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(ref.GroupVersionKind())
		err := m.client.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, live)
		if apierrors.IsNotFound(err) {
			cs.add(ref, Skipped)
			continue
		}
		if err != nil {
			return cs, fmt.Errorf("failed to get %s: %w", ref, err)
		}
		if live.GetAnnotations()[kustomizev1.PruneAnnotation] == kustomizev1.DisabledValue || live.GetDeletionTimestamp() != nil {
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
