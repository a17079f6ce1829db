package apply

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// Action is what the engine did to one object.
type Action string

// Actions the engine reports.
const (
	// Created means the object did not exist and was created.
	Created Action = "Created"
	// Configured means the object existed and was changed.
	Configured Action = "Configured"
	// Unchanged means the object already matched and nothing was written.
	Unchanged Action = "Unchanged"
	// Deleted means the object was deleted (pruned).
	Deleted Action = "Deleted"
	// Skipped means the object was left alone because of an annotation or because it was gone.
	Skipped Action = "Skipped"
)

// Change records the action taken on one object.
type Change struct {
	// Ref identifies the object.
	Ref ObjectRef
	// Action is what was done.
	Action Action
	// Object is the object as the cluster held it after the change (the written object, or
	// the live one when nothing was written), when known; health checks start from it.
	Object *unstructured.Unstructured
}

// String returns the change as "Kind/namespace/name action".
func (c Change) String() string {
	return fmt.Sprintf("%s %s", c.Ref, strings.ToLower(string(c.Action)))
}

// ChangeSet lists the changes of one ApplyAll or Prune call.
type ChangeSet struct {
	// Entries holds one change per object, in the order the objects were handled.
	Entries []Change
}

func (cs *ChangeSet) add(ref ObjectRef, a Action) {
	cs.Entries = append(cs.Entries, Change{Ref: ref, Action: a})
}

// Append adds the entries of another change set.
func (cs *ChangeSet) Append(other *ChangeSet) {
	if other != nil {
		cs.Entries = append(cs.Entries, other.Entries...)
	}
}

// Count returns how many entries have the action.
func (cs *ChangeSet) Count(a Action) int {
	n := 0
	for _, e := range cs.Entries {
		if e.Action == a {
			n++
		}
	}
	return n
}

// Changed reports whether any object was created, configured or deleted.
func (cs *ChangeSet) Changed() bool {
	return cs.Count(Created)+cs.Count(Configured)+cs.Count(Deleted) > 0
}

// Inventory returns the inventory of every object of the set that was not deleted,
// sorted by id. Skipped objects stay in it so that they are never pruned by accident.
func (cs *ChangeSet) Inventory() *fluxmeta.ResourceInventory {
	seen := map[string]bool{}
	inv := &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{}}
	for _, e := range cs.Entries {
		if e.Action == Deleted || seen[e.Ref.ID()] {
			continue
		}
		seen[e.Ref.ID()] = true
		inv.Entries = append(inv.Entries, fluxmeta.ResourceRef{ID: e.Ref.ID(), Version: e.Ref.Version})
	}
	sort.Slice(inv.Entries, func(i, j int) bool { return inv.Entries[i].ID < inv.Entries[j].ID })
	return inv
}
