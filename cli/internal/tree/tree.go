// Package tree renders the objects a Kustomization or HelmRelease applied as a tree, and
// reads the entries of their inventories (<namespace>_<name>_<group>_<kind>).
package tree

import (
	"fmt"
	"io"
	"strings"
)

// Node is an object and what it applied.
type Node struct {
	// Name is the object as Kind/namespace/name (Kind/name when cluster-wide).
	Name string
	// Children are the objects it applied.
	Children []*Node
}

// Add appends a child named name and returns it.
func (n *Node) Add(name string) *Node {
	c := &Node{Name: name}
	n.Children = append(n.Children, c)
	return c
}

// Render writes the tree with box-drawing branches, as flux tree prints it.
func (n *Node) Render(w io.Writer) error {
	if _, err := fmt.Fprintln(w, n.Name); err != nil {
		return err
	}
	return renderChildren(w, n, "")
}

func renderChildren(w io.Writer, n *Node, prefix string) error {
	for i, c := range n.Children {
		branch, next := "├── ", "│   "
		if i == len(n.Children)-1 {
			branch, next = "└── ", "    "
		}
		if _, err := fmt.Fprintln(w, prefix+branch+c.Name); err != nil {
			return err
		}
		if err := renderChildren(w, c, prefix+next); err != nil {
			return err
		}
	}
	return nil
}

// Entry is one inventory entry.
type Entry struct {
	// Namespace is empty for cluster-wide objects.
	Namespace, Name, Group, Kind string
	// Version is the API version the object was applied with.
	Version string
}

// ParseEntry reads an inventory ID and its version.
func ParseEntry(id, version string) (Entry, error) {
	parts := strings.Split(id, "_")
	if len(parts) != 4 || parts[1] == "" || parts[3] == "" {
		return Entry{}, fmt.Errorf("invalid inventory entry %q, expected <namespace>_<name>_<group>_<kind>", id)
	}
	return Entry{Namespace: parts[0], Name: parts[1], Group: parts[2], Kind: parts[3], Version: version}, nil
}

// String renders the entry as Kind/namespace/name, or Kind/name.
func (e Entry) String() string {
	if e.Namespace == "" {
		return e.Kind + "/" + e.Name
	}
	return e.Kind + "/" + e.Namespace + "/" + e.Name
}

// APIVersion returns group/version, or the version alone for the core group.
func (e Entry) APIVersion() string {
	if e.Group == "" {
		return e.Version
	}
	return e.Group + "/" + e.Version
}
