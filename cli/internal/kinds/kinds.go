// Package kinds is the CLI's table of toolkit kinds: the words that name each kind on the
// command line, the Go type behind it, and how to read its revision, its extra columns and
// the source it is built from. Every command works from this table, so a kind is added in
// one place.
package kinds

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// Object is a toolkit object the CLI lists, annotates, suspends and resumes. Every kind has
// spec.suspend; the kinds with a status (all but Alert and Provider) also implement
// fluxmeta.StatusObject.
type Object interface {
	client.Object
	// IsSuspended reports whether spec.suspend is set.
	IsSuspended() bool
}

// Ref names an object of a kind of the table.
type Ref struct {
	// Kind is the API kind, such as GitRepository.
	Kind string
	// Namespace is the namespace of the object.
	Namespace string
	// Name is the name of the object.
	Name string
}

// String renders the reference as Kind/namespace/name.
func (r Ref) String() string { return r.Kind + "/" + r.Namespace + "/" + r.Name }

// Column is a kind-specific column of the get table.
type Column struct {
	// Header is the column's title, in upper case.
	Header string
	// Value reads the column's cell from an object of the kind.
	Value func(Object) string
}

// Group gathers kinds under one command word, as "sources" does for "git" and "oci".
type Group struct {
	// Name is the word of the group on the command line.
	Name string
	// Aliases are other words accepted for the group.
	Aliases []string
}

// Kind describes one toolkit kind as the CLI presents it.
type Kind struct {
	// Kind is the API kind, such as GitRepository.
	Kind string
	// GroupVersion is the API group and version the CLI reads the kind in.
	GroupVersion schema.GroupVersion
	// Group is the command word the kind sits under, or nil for a top-level kind.
	Group *Group
	// Name is the word naming the kind on the command line (within its group, if any).
	Name string
	// Aliases are other words accepted for the kind.
	Aliases []string
	// Revision reads the revision the kind last fetched or applied, shown in the REVISION
	// column after NAME; nil when the kind has none.
	Revision func(Object) string
	// Columns are the kind's other columns, before READY, in the get table.
	Columns []Column
	// Source returns the object that `reconcile --with-source` reconciles first; nil when
	// the kind is not built from a source.
	Source func(Object) (Ref, bool)

	newObject func() Object
	newList   func() client.ObjectList
}

// define completes a table entry with the constructors of its object type T and list
// type L, so that the commands can stay generic.
func define[T, L any, PT interface {
	*T
	Object
}, PL interface {
	*L
	client.ObjectList
}](k Kind) *Kind {
	k.newObject = func() Object { return PT(new(T)) }
	k.newList = func() client.ObjectList { return PL(new(L)) }
	return &k
}

// typed adapts a reader of one concrete type to the generic Object signature; it returns
// the zero value for objects of any other type.
func typed[T Object, V any](f func(T) V) func(Object) V {
	return func(obj Object) V {
		t, ok := obj.(T)
		if !ok {
			var zero V
			return zero
		}
		return f(t)
	}
}

// typedSource is typed for the Source readers; it returns no reference for objects of
// any other type.
func typedSource[T Object](f func(T) (Ref, bool)) func(Object) (Ref, bool) {
	return func(obj Object) (Ref, bool) {
		t, ok := obj.(T)
		if !ok {
			return Ref{}, false
		}
		return f(t)
	}
}

// String returns the API kind, for messages.
func (k *Kind) String() string { return k.Kind }

// GroupVersionKind returns the kind's group, version and kind.
func (k *Kind) GroupVersionKind() schema.GroupVersionKind { return k.GroupVersion.WithKind(k.Kind) }

// New returns an empty object of the kind.
func (k *Kind) New() Object { return k.newObject() }

// NewList returns an empty list of the kind.
func (k *Kind) NewList() client.ObjectList { return k.newList() }

// HasStatus reports whether the kind keeps a status with conditions and
// lastHandledReconcileAt; Alert and Provider do not.
func (k *Kind) HasStatus() bool {
	_, ok := k.New().(fluxmeta.StatusObject)
	return ok
}

// Words returns the words that name the kind: its name, then its aliases.
func (k *Kind) Words() []string { return append([]string{k.Name}, k.Aliases...) }

// Headers returns the header of the get table: NAME, REVISION (for kinds with a
// revision), the kind's columns, READY and MESSAGE.
func (k *Kind) Headers() []string {
	h := []string{"NAME"}
	if k.Revision != nil {
		h = append(h, "REVISION")
	}
	for _, c := range k.Columns {
		h = append(h, c.Header)
	}
	return append(h, "READY", "MESSAGE")
}

// Row returns the cells of the get table for obj, in the order of Headers.
func (k *Kind) Row(obj Object) []string {
	r := []string{obj.GetName()}
	if k.Revision != nil {
		r = append(r, k.Revision(obj))
	}
	for _, c := range k.Columns {
		r = append(r, c.Value(obj))
	}
	status, message := k.ReadyStatus(obj)
	return append(r, status, message)
}

// ReadyStatus returns the status and message of obj's Ready condition, as the get table
// shows them: "False" and "waiting to be reconciled" before the controller has reported,
// and "True" for the kinds without a status, which are ready as soon as they exist.
func (k *Kind) ReadyStatus(obj Object) (status, message string) {
	so, ok := obj.(fluxmeta.StatusObject)
	if !ok {
		return string(metav1.ConditionTrue), k.Kind + " is Ready"
	}
	for _, c := range so.GetObjectStatus().Conditions {
		if c.Type == fluxmeta.ReadyCondition {
			return string(c.Status), c.Message
		}
	}
	return string(metav1.ConditionFalse), "waiting to be reconciled"
}

// All returns every kind of the table, in the order `get all` prints them.
func All() []*Kind { return append([]*Kind(nil), table...) }

// ByKind returns the kind with the given API kind name, such as GitRepository.
func ByKind(name string) (*Kind, bool) {
	for _, k := range table {
		if k.Kind == name {
			return k, true
		}
	}
	return nil, false
}

// Parse reads the kind named at the start of args — "ks", "sources git", "image policy",
// "sources all" or "all" — and returns the kinds it names with the arguments that follow.
func Parse(args []string) ([]*Kind, []string, error) {
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("a kind is required, one of: %s", strings.Join(topWords(), ", "))
	}
	word := strings.ToLower(args[0])
	if word == "all" {
		return All(), args[1:], nil
	}
	for _, g := range groups {
		if matches(word, g.Name, g.Aliases) {
			return parseInGroup(g, args[1:])
		}
	}
	for _, k := range table {
		if k.Group == nil && matches(word, k.Name, k.Aliases) {
			return []*Kind{k}, args[1:], nil
		}
	}
	return nil, nil, fmt.Errorf("unknown kind %q, expected one of: %s", args[0], strings.Join(topWords(), ", "))
}

// ParseOne is Parse for the commands that act on a single kind.
func ParseOne(args []string) (*Kind, []string, error) {
	ks, rest, err := Parse(args)
	if err != nil {
		return nil, nil, err
	}
	if len(ks) != 1 {
		return nil, nil, fmt.Errorf("a single kind is required, not %q", strings.Join(args[:len(args)-len(rest)], " "))
	}
	return ks[0], rest, nil
}

// parseInGroup reads the word after a group word.
func parseInGroup(g *Group, args []string) ([]*Kind, []string, error) {
	members := inGroup(g)
	var words []string
	for _, k := range members {
		words = append(words, k.Name)
	}
	words = append(words, "all")
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("a kind of %s is required, one of: %s", g.Name, strings.Join(words, ", "))
	}
	word := strings.ToLower(args[0])
	if word == "all" {
		return members, args[1:], nil
	}
	for _, k := range members {
		if matches(word, k.Name, k.Aliases) {
			return []*Kind{k}, args[1:], nil
		}
	}
	return nil, nil, fmt.Errorf("unknown kind of %s %q, expected one of: %s", g.Name, args[0], strings.Join(words, ", "))
}

// inGroup returns the kinds of g, in table order.
func inGroup(g *Group) []*Kind {
	var ks []*Kind
	for _, k := range table {
		if k.Group == g {
			ks = append(ks, k)
		}
	}
	return ks
}

// matches reports whether word is name or one of aliases.
func matches(word, name string, aliases []string) bool {
	if word == name {
		return true
	}
	for _, a := range aliases {
		if word == a {
			return true
		}
	}
	return false
}

// topWords lists the words accepted first: groups, then top-level kinds, then "all".
func topWords() []string {
	var words []string
	for _, g := range groups {
		words = append(words, g.Name)
	}
	for _, k := range table {
		if k.Group == nil {
			words = append(words, k.Name)
		}
	}
	return append(words, "all")
}

// Usage describes the accepted kind words, one line per kind, for the commands' help.
func Usage() string {
	var b strings.Builder
	for _, k := range table {
		prefix := ""
		if k.Group != nil {
			prefix = k.Group.Name + " "
		}
		fmt.Fprintf(&b, "  %-28s %s", prefix+k.Name, k.Kind)
		if len(k.Aliases) > 0 {
			fmt.Fprintf(&b, " (aliases: %s)", strings.Join(k.Aliases, ", "))
		}
		b.WriteString("\n")
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "  %-28s every kind of %s\n", g.Name+" all", g.Name)
	}
	fmt.Fprintf(&b, "  %-28s every kind\n", "all")
	return b.String()
}
