package kustomization

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// finalize deletes the inventory of a deleted Kustomization as spec.deletionPolicy says:
// MirrorPrune follows spec.prune, Delete always deletes, WaitForTermination deletes and waits
// until the objects are gone (up to spec.timeout), Orphan keeps them.
func (st *state) finalize(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	st.r.builds.Forget(string(obj.UID))
	if !obj.ShouldDeleteOnFinalize() || obj.Status.Inventory == nil || len(obj.Status.Inventory.Entries) == 0 {
		return reconcile.Done("", "")
	}
	t, err := st.r.target(ctx, obj)
	if err != nil {
		// Without its identity nothing can be deleted; keeping the finalizer would block the
		// deletion forever.
		s.Event(corev1.EventTypeWarning, kustomizev1.PruneFailedReason, fmt.Sprintf("objects left in place: %v", err))
		return reconcile.Done("", "")
	}
	refs, err := apply.Diff(obj.Status.Inventory, nil)
	if err != nil {
		return reconcile.Transient(kustomizev1.PruneFailedReason, err)
	}
	cs, err := t.manager.PruneWith(ctx, refs, apply.PruneOptions{OwnerLabels: ownerLabels(obj)})
	if err != nil {
		return reconcile.Transient(kustomizev1.PruneFailedReason, fmt.Errorf("failed to prune: %w", err))
	}
	if obj.GetDeletionPolicy() == kustomizev1.DeletionPolicyWaitForTermination {
		// As in Flux, spec.timeout bounds the wait: then the deletion goes on, with a
		// warning, and the objects still terminating are left to the garbage collector.
		if err := waitGone(ctx, t.client, deleted(cs), obj.GetTimeout()); err != nil {
			s.Log.Error(err, "objects still terminating after spec.timeout: deleting the Kustomization anyway")
			s.Event(corev1.EventTypeWarning, kustomizev1.PruneFailedReason, err.Error())
		}
	}
	return reconcile.Done("", "")
}

// deleted returns the objects cs deleted.
func deleted(cs *apply.ChangeSet) []apply.ObjectRef {
	var refs []apply.ObjectRef
	for _, e := range cs.Entries {
		if e.Action == apply.Deleted {
			refs = append(refs, e.Ref)
		}
	}
	return refs
}

// waitGone polls refs until none exists. timeout is one deadline for all of them: when it
// passes, the error names every object still there.
func waitGone(ctx context.Context, c client.Reader, refs []apply.ObjectRef, timeout time.Duration) error {
	left := refs
	err := wait.PollUntilContextTimeout(ctx, healthInterval, timeout, true, func(ctx context.Context) (bool, error) {
		var still []apply.ObjectRef
		for _, ref := range left {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(ref.GroupVersionKind())
			err := c.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, u)
			if !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) { // a kind no longer served: gone too
				still = append(still, ref)
			}
		}
		left = still
		return len(left) == 0, nil
	})
	if err == nil {
		return nil
	}
	names := make([]string, 0, len(left))
	for _, ref := range left {
		names = append(names, ref.String())
	}
	sort.Strings(names)
	return fmt.Errorf("failed to wait for the deletion of %d of %d objects within %s: %s",
		len(left), len(refs), timeout, strings.Join(names, ", "))
}
