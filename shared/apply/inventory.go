package apply

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// ObjectRef identifies one object in the cluster by group, kind, namespace and name, with
// the API version it was applied with.
type ObjectRef struct {
	// Group is the API group, empty for the core group.
	Group string
	// Version is the API version the object was applied with.
	Version string
	// Kind is the object's kind.
	Kind string
	// Namespace is empty for cluster-scoped objects.
	Namespace string
	// Name is the object's name.
	Name string
}

// RefOf returns the reference of an object.
func RefOf(obj *unstructured.Unstructured) ObjectRef {
	gvk := obj.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind,
		Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// ID returns the inventory id of the reference, "<namespace>_<name>_<group>_<kind>".
func (r ObjectRef) ID() string {
	return strings.Join([]string{r.Namespace, r.Name, r.Group, r.Kind}, "_")
}

// GroupVersionKind returns the reference's group, version and kind.
func (r ObjectRef) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// APIVersion returns the reference's group/version, or the version alone for the core group,
// as health.ObjectRef and manifests spell it.
func (r ObjectRef) APIVersion() string {
	return r.GroupVersionKind().GroupVersion().String()
}

// String returns the reference as Kind/namespace/name, or Kind/name when cluster-scoped.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// ParseRef turns an inventory entry back into a reference.
func ParseRef(e fluxmeta.ResourceRef) (ObjectRef, error) {
	parts := strings.Split(e.ID, "_")
	if len(parts) != 4 || parts[1] == "" || parts[3] == "" {
		return ObjectRef{}, fmt.Errorf("failed to parse inventory id %q: want <namespace>_<name>_<group>_<kind>", e.ID)
	}
	return ObjectRef{Namespace: parts[0], Name: parts[1], Group: parts[2], Kind: parts[3], Version: e.Version}, nil
}

// InventoryFrom returns the inventory of the objects, sorted by id, without duplicates.
func InventoryFrom(objects []*unstructured.Unstructured) *fluxmeta.ResourceInventory {
	seen := map[string]bool{}
	inv := &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{}}
	for _, obj := range objects {
		ref := RefOf(obj)
		if seen[ref.ID()] {
			continue
		}
		seen[ref.ID()] = true
		inv.Entries = append(inv.Entries, fluxmeta.ResourceRef{ID: ref.ID(), Version: ref.Version})
	}
	sort.Slice(inv.Entries, func(i, j int) bool { return inv.Entries[i].ID < inv.Entries[j].ID })
	return inv
}

// Diff returns the objects of the old inventory that are not in the new one, in the order
// of the old inventory. Entries whose id cannot be parsed are reported as an error.
func Diff(old, current *fluxmeta.ResourceInventory) ([]ObjectRef, error) {
	if old == nil {
		return nil, nil
	}
	keep := map[string]bool{}
	if current != nil {
		for _, e := range current.Entries {
			keep[e.ID] = true
		}
	}
	var gone []ObjectRef
	for _, e := range old.Entries {
		if keep[e.ID] {
			continue
		}
		ref, err := ParseRef(e)
		if err != nil {
			return nil, err
		}
		gone = append(gone, ref)
	}
	return gone, nil
}
