package kustomization

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// applyAnnotations are the kustomize group's per-object annotations the apply engine honours.
var applyAnnotations = apply.Annotations{
	SSA: kustomizev1.SSAAnnotation, Force: kustomizev1.ForceAnnotation,
	Prune: kustomizev1.PruneAnnotation, Reconcile: kustomizev1.ReconcileAnnotation,
}

// apply writes the build with server-side apply, in stages, after a dry run of every object.
// When it fails, what it created joins the old inventory so that nothing escapes pruning.
func (st *state) apply(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ignore, err := apply.NewIgnorer(obj.Spec.Ignore)
	if err != nil {
		return reconcile.Stalled(fluxmeta.ReconciliationFailedReason, fmt.Errorf("invalid spec.ignore: %w", err))
	}
	t, err := st.r.target(ctx, obj)
	if err != nil {
		return reconcile.Transient(fluxmeta.ReconciliationFailedReason, err)
	}
	st.target = t
	labels := ownerLabels(obj)
	for _, o := range st.objects {
		setLabels(o, labels)
	}
	cs, err := t.manager.ApplyAll(ctx, st.objects, apply.Options{Force: obj.Spec.Force, WaitTimeout: obj.GetTimeout(), Ignore: ignore})
	st.changes = cs
	if err != nil {
		obj.Status.Inventory = union(obj.Status.Inventory, cs.Inventory())
		return reconcile.Transient(fluxmeta.ReconciliationFailedReason, err)
	}
	return reconcile.Done("", "")
}

// prune deletes the objects of the old inventory that left the build (with spec.prune), and
// records the new inventory. Objects that fail to be deleted stay in it.
func (st *state) prune(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	current := st.changes.Inventory()
	if !obj.Spec.Prune {
		obj.Status.Inventory = current
		return reconcile.Done("", "")
	}
	stale, err := apply.Diff(obj.Status.Inventory, current)
	if err != nil {
		obj.Status.Inventory = current
		return reconcile.Transient(kustomizev1.PruneFailedReason, fmt.Errorf("failed to read the inventory: %w", err))
	}
	cs, err := st.target.manager.PruneWith(ctx, stale, apply.PruneOptions{OwnerLabels: ownerLabels(obj)})
	st.pruned = cs
	if err != nil {
		obj.Status.Inventory = union(current, inventoryOf(stale))
		return reconcile.Transient(kustomizev1.PruneFailedReason, fmt.Errorf("failed to prune: %w", err))
	}
	obj.Status.Inventory = current
	return reconcile.Done("", "")
}

// ownerLabels are the labels naming obj on every object it applies.
func ownerLabels(obj *kustomizev1.Kustomization) map[string]string {
	return map[string]string{kustomizev1.NameLabel: obj.Name, kustomizev1.NamespaceLabel: obj.Namespace}
}

func setLabels(o *unstructured.Unstructured, add map[string]string) {
	labels := o.GetLabels()
	if labels == nil {
		labels = make(map[string]string, len(add))
	}
	for k, v := range add {
		labels[k] = v
	}
	o.SetLabels(labels)
}

// inventoryOf returns the inventory of refs.
func inventoryOf(refs []apply.ObjectRef) *fluxmeta.ResourceInventory {
	inv := &fluxmeta.ResourceInventory{Entries: make([]fluxmeta.ResourceRef, 0, len(refs))}
	for _, r := range refs {
		inv.Entries = append(inv.Entries, fluxmeta.ResourceRef{ID: r.ID(), Version: r.Version})
	}
	return inv
}

// union returns the entries of a and b, sorted by id, the newer version winning.
func union(a, b *fluxmeta.ResourceInventory) *fluxmeta.ResourceInventory {
	byID := map[string]string{}
	for _, inv := range []*fluxmeta.ResourceInventory{a, b} {
		if inv == nil {
			continue
		}
		for _, e := range inv.Entries {
			byID[e.ID] = e.Version
		}
	}
	out := &fluxmeta.ResourceInventory{Entries: make([]fluxmeta.ResourceRef, 0, len(byID))}
	for id, v := range byID {
		out.Entries = append(out.Entries, fluxmeta.ResourceRef{ID: id, Version: v})
	}
	sort.Slice(out.Entries, func(i, j int) bool { return out.Entries[i].ID < out.Entries[j].ID })
	return out
}

// summary lists the objects created, configured or deleted, one per line, as
// "Kind/namespace/name configured".
func summary(sets ...*apply.ChangeSet) string {
	var lines []string
	for _, cs := range sets {
		if cs == nil {
			continue
		}
		for _, e := range cs.Entries {
			if e.Action == apply.Created || e.Action == apply.Configured || e.Action == apply.Deleted {
				lines = append(lines, e.String())
			}
		}
	}
	return strings.Join(lines, "\n")
}
