// Package diff lists the fields in which two objects differ, by path, the way the diff
// commands show drift: the server-maintained metadata and the status are not compared.
package diff

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Change is one field that differs.
type Change struct {
	// Path is the field, as spec.template.spec.containers[0].image.
	Path string
	// Old and New are the values in the cluster and in the build; nil when absent.
	Old, New any
}

// String renders the change as flux diff does.
func (c Change) String() string {
	switch {
	case c.Old == nil:
		return fmt.Sprintf("%s\n  + %s", c.Path, render(c.New))
	case c.New == nil:
		return fmt.Sprintf("%s\n  - %s", c.Path, render(c.Old))
	}
	return fmt.Sprintf("%s\n  ± value change\n    - %s\n    + %s", c.Path, render(c.Old), render(c.New))
}

// render prints a value on one line.
func render(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.ReplaceAll(strings.TrimSpace(string(data)), "\n", "; ")
}

// Objects returns the changes from live to want, sorted by path.
func Objects(live, want *unstructured.Unstructured) []Change {
	var out []Change
	walk("", comparable(live), comparable(want), &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// comparable returns obj without the fields the server maintains.
func comparable(obj *unstructured.Unstructured) map[string]any {
	c := obj.DeepCopy().Object
	for _, f := range [][]string{{"metadata", "managedFields"}, {"metadata", "resourceVersion"}, {"metadata", "generation"},
		{"metadata", "uid"}, {"metadata", "creationTimestamp"}, {"status"}} {
		unstructured.RemoveNestedField(c, f...)
	}
	return c
}

// walk compares a and b below path.
func walk(path string, a, b any, out *[]Change) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			walk(join(path, k), am[k], bm[k], out)
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			walk(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, Change{Path: path, Old: a, New: b})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
