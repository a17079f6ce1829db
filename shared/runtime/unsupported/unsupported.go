// Package unsupported refuses the fields Ferry's CRDs accept (they serve all of Flux's API, so
// that a Flux user's manifests apply) but no controller implements yet. A kind declares its
// refused fields as Rules; the shared runtime checks them before any step runs and stalls an
// object that sets one with a message naming the field, so nothing is applied or served on
// the strength of a field that would be silently ignored.
package unsupported

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// Rule refuses one field path of a kind.
type Rule struct {
	// Path is the field path as docs/api-compatibility.md and Flux's surface list write it:
	// segments joined by dots, "[]" after a list field (every element), "{}" after a map
	// field (every value), e.g. "spec.dependsOn[].readyExpr" or "spec.verify.provider".
	Path string
	// Values, when set, refuses only these values of the field, as fmt.Sprint prints them
	// (e.g. "notation" of spec.verify.provider where cosign is implemented, or "false"); when
	// empty, any value that is not empty is refused.
	Values []string
	// Message replaces the default "<path> is not supported by Ferry" message.
	Message string
}

// message is what a user reads in the Stalled condition for value.
func (r Rule) message(value string) string {
	if r.Message != "" {
		return r.Message
	}
	if len(r.Values) > 0 {
		return fmt.Sprintf("%s %s is not supported by Ferry", r.Path, value)
	}
	return fmt.Sprintf("%s is not supported by Ferry", r.Path)
}

// Check returns an error naming every refused field obj sets, sorted and joined with "; ",
// or nil when it sets none. A field counts as set when it is present with a value that is
// not empty: not null, "", false, 0, an empty list or an empty map.
func Check(obj runtime.Object, rules []Rule) error {
	if len(rules) == 0 {
		return nil
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("failed to read the object's fields: %w", err)
	}
	var found []string
	for _, r := range rules {
		for _, v := range values(content, segments(r.Path)) {
			s := fmt.Sprint(v)
			if (len(r.Values) == 0 && isEmpty(v)) || (len(r.Values) > 0 && !contains(r.Values, s)) {
				continue
			}
			found = append(found, r.message(s))
			break
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Strings(found)
	return fmt.Errorf("%s", strings.Join(dedupe(found), "; "))
}

// IsSet reports whether content, an object as unstructured data, holds the field at path with
// a value that is not null.
func IsSet(content map[string]any, path string) bool {
	return len(values(content, segments(path))) > 0
}

// segment is one step of a path: a field name, then whether to descend into every element
// of a list or every value of a map.
type segment struct {
	field       string
	list, items bool
}

func segments(path string) []segment {
	parts := strings.Split(path, ".")
	out := make([]segment, 0, len(parts))
	for _, p := range parts {
		switch {
		case strings.HasSuffix(p, "[]"):
			out = append(out, segment{field: strings.TrimSuffix(p, "[]"), list: true})
		case strings.HasSuffix(p, "{}"):
			out = append(out, segment{field: strings.TrimSuffix(p, "{}"), items: true})
		default:
			out = append(out, segment{field: p})
		}
	}
	return out
}

// values returns the values present at the path's end below v (null counts as absent).
func values(v any, path []segment) []any {
	if len(path) == 0 {
		if v == nil {
			return nil
		}
		return []any{v}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[path[0].field]
	if !ok {
		return nil
	}
	var children []any
	switch {
	case path[0].list:
		children, _ = next.([]any)
	case path[0].items:
		items, _ := next.(map[string]any)
		keys := make([]string, 0, len(items))
		for k := range items {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			children = append(children, items[k])
		}
	default:
		children = []any{next}
	}
	var out []any
	for _, c := range children {
		out = append(out, values(c, path[1:])...)
	}
	return out
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case int64:
		return x == 0
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
