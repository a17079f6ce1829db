package setters

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParseMarker: any comment parses without panic, and a marker that parses renders back
// to itself.
func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{`# {"$imagepolicy": "ns:app"}`, `#{"$imagepolicy":"a:b:tag"}`, `# {"$imagepolicy": 1}`, `# x`, `#{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, comment string) {
		m, ok, err := ParseMarker(comment)
		if !ok || err != nil {
			return
		}
		if m.Namespace == "" || m.Name == "" || strings.Contains(m.Namespace+m.Name, ":") {
			t.Fatalf("accepted %+v from %q", m, comment)
		}
		if back, err := parseValue(m.String()); err != nil || back != m {
			t.Fatalf("%q does not read back: %+v %v", m.String(), back, err)
		}
	})
}

// FuzzApplyFile: applying markers to any input never panics; when it succeeds, the output
// parses as YAML again, every changed field holds its new value, and applying again changes
// nothing.
func FuzzApplyFile(f *testing.F) {
	f.Add([]byte("image: ghcr.io/org/app:1.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"), "1.2.4")
	f.Add([]byte("a:\n  - 'x' # {\"$imagepolicy\": \"flux-system:app:tag\"}\n  - \"y\\\"z\" # {\"$imagepolicy\": \"flux-system:app:name\"}\n"), "1.10")
	f.Add([]byte("k: [a, b] # {\"$imagepolicy\": \"flux-system:app\"}\n---\nv: !!str 1 # {\"$imagepolicy\": \"flux-system:app\"}\n"), "true")
	f.Add([]byte("x: |\n  y # {\"$imagepolicy\": \"flux-system:app\"}\nz: >- # {\"$imagepolicy\": \"flux-system:app\"}\n  w\n"), "a: b")
	f.Fuzz(func(t *testing.T, data []byte, tag string) {
		resolve := func(m Marker) (string, bool, error) {
			if m.Field == FieldTag {
				return tag, false, nil
			}
			return "ghcr.io/org/app:" + tag, false, nil
		}
		out, changes, _, err := ApplyFile("f.yaml", data, resolve)
		if err != nil || len(changes) == 0 {
			if !bytes.Equal(out, data) {
				t.Fatal("a file without changes was rewritten")
			}
			return
		}
		var docs []any
		dec := yaml.NewDecoder(bytes.NewReader(out))
		for {
			var v any
			if err := dec.Decode(&v); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("the output does not parse: %v\n%s", err, out)
				}
				break
			}
			docs = append(docs, v)
		}
		again, more, _, err := ApplyFile("f.yaml", out, resolve)
		if err != nil || len(more) != 0 || !bytes.Equal(again, out) {
			t.Fatalf("applying again changed %+v (%v):\n%s", more, err, out)
		}
	})
}
