package values

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// FuzzMerge merges two values documents read from ConfigMaps, Secrets or spec.values.
// Whatever they hold: no panic; neither argument changes; merging with an empty document
// changes nothing; merging a document over itself gives it back; every top-level key of the
// overlay ends with the overlay's value unless both sides hold maps there; and the result
// written as YAML reads back the same.
func FuzzMerge(f *testing.F) {
	f.Add("a: 1\nb: {c: 2, d: [1, 2]}\n", "b: {c: 3}\ne: x\n")
	f.Add("a: {b: {c: 1}}\n", "a: {b: null}\n")
	f.Add("a: [1]\n", "a: {x: 1}\n")
	f.Add("", "a: 1\n")
	f.Fuzz(func(t *testing.T, baseDoc, overlayDoc string) {
		var base, overlay map[string]any
		if yaml.Unmarshal([]byte(baseDoc), &base) != nil || yaml.Unmarshal([]byte(overlayDoc), &overlay) != nil {
			return
		}
		baseCopy, overlayCopy := deepCopy(t, base), deepCopy(t, overlay)
		out := Merge(base, overlay)
		if !reflect.DeepEqual(base, baseCopy) || !reflect.DeepEqual(overlay, overlayCopy) {
			t.Fatal("Merge changed its arguments")
		}
		if m := Merge(base, nil); !reflect.DeepEqual(normal(base), m) {
			t.Fatalf("merging nothing over %v gave %v", base, m)
		}
		if m := Merge(overlay, overlay); !reflect.DeepEqual(normal(overlay), m) {
			t.Fatalf("merging %v over itself gave %v", overlay, m)
		}
		for k, v := range overlay {
			_, bothMaps := v.(map[string]any)
			if _, ok := base[k].(map[string]any); !ok || !bothMaps {
				if !reflect.DeepEqual(out[k], v) {
					t.Fatalf("key %q holds %v, not the overlay's %v", k, out[k], v)
				}
			}
		}
		written, err := yaml.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := yaml.Unmarshal(written, &back); err != nil || !reflect.DeepEqual(normal(back), normal(out)) {
			t.Fatalf("the merged values written as YAML read back differently: %v\n%s", err, written)
		}
	})
}

// simplePath is a path of plain keys, which SetPath must store as they are.
var simplePath = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*){0,5}$`)

// FuzzSetPath sets a value at a targetPath of spec.valuesFrom (Helm's --set syntax). Whatever
// the path and value: no panic, no unbounded allocation (Helm caps list indexes and nesting);
// and a literal UTF-8 value set at a path of plain keys is read back at that path unchanged.
func FuzzSetPath(f *testing.F) {
	f.Add("a.b", "value", true)
	f.Add("a.b[0].c", "1", false)
	f.Add("a[65536]", "x", false)
	f.Add("a\\.b.c", "'quoted'", false)
	f.Add("a.b", "{x,y}", false)
	f.Fuzz(func(t *testing.T, path, value string, literal bool) {
		dest := map[string]any{}
		err := SetPath(dest, path, value, literal)
		// Values are text: Helm's parser reads runes, so bytes that are not UTF-8 become U+FFFD.
		if err != nil || !literal || !simplePath.MatchString(path) || !utf8.ValidString(value) {
			return
		}
		var cur any = dest
		for _, k := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("SetPath(%q) left %v", path, dest)
			}
			cur = m[k]
		}
		if cur != value {
			t.Fatalf("SetPath(%q, %q) stored %#v", path, value, cur)
		}
	})
}

// deepCopy copies a decoded document.
func deepCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// normal is m with nil read as an empty map, as Merge returns it.
func normal(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
