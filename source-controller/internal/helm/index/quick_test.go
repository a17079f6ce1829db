package index

import (
	"slices"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestQuickItem(t *testing.T) {
	tests := []struct {
		name, item string
		ok         bool
		want       rawVersion
	}{
		{"helm layout", "  - apiVersion: v2\n    description: |\n      text\n      version: 9.9.9\n    digest: abc\n    keywords:\n    - a\n    urls:\n    - https://x/a-1.0.0.tgz\n    - a.tgz\n    version: 1.0.0\n",
			true, rawVersion{Version: "1.0.0", Digest: "abc", URLs: []string{"https://x/a-1.0.0.tgz", "a.tgz"}}},
		{"indented urls and quotes", "- version: \"1.0.0\"\n  urls:\n    - 'a.tgz'\n  name: a\n", true, rawVersion{Version: "1.0.0", URLs: []string{"a.tgz"}}},
		{"flow urls", "- version: 1.0.0\n  urls: [a.tgz]\n", false, rawVersion{}},
		{"flow item", "- {version: 1.0.0}\n", false, rawVersion{}},
		{"escaped version", "- version: \"1.0\\u0030\"\n", false, rawVersion{}},
		{"comment after value", "- version: 1.0.0 # x\n", false, rawVersion{}},
		{"repeated key", "- version: 1.0.0\n  version: 2.0.0\n", false, rawVersion{}},
		{"null version", "- version: null\n", false, rawVersion{}},
		{"no version", "- name: a\n", false, rawVersion{}},
		{"nested urls", "- version: 1.0.0\n  urls:\n  - - a\n", false, rawVersion{}},
		{"lone quote", "- version: \"\n", false, rawVersion{}},
		{"bad continuation", "  - description: a\n text\n    version: 1.0.0\n", false, rawVersion{}},
		{"unterminated quote in a skipped field", "- description: \"a\n  version: 1.0.0\n", false, rawVersion{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := quickItem([]byte(tt.item))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if ok && (got.Version != tt.want.Version || got.Digest != tt.want.Digest || !slices.Equal(got.URLs, tt.want.URLs)) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if ok {
				agreesWithYAML(t, tt.item, got)
			}
		})
	}
}

// agreesWithYAML checks that the YAML decoder, when it accepts the item, reads it the same
// way (quickItem does not check the syntax of the fields it skips).
func agreesWithYAML(t *testing.T, item string, got rawVersion) {
	t.Helper()
	var raw []rawVersion
	if err := yaml.Unmarshal([]byte(item), &raw); err != nil || len(raw) != 1 {
		return
	}
	w := raw[0]
	if w.Version != got.Version || w.Digest != got.Digest || !slices.Equal(w.URLs, got.URLs) {
		t.Fatalf("quickItem read %+v, YAML reads %+v from %q", got, w, item)
	}
}

func FuzzQuickItem(f *testing.F) {
	f.Add("  - apiVersion: v2\n    digest: abc\n    urls:\n    - a.tgz\n    version: 1.0.0\n")
	f.Add("- version: '1.0.0'\n  urls:\n    - \"b\"\n")
	f.Fuzz(func(t *testing.T, item string) {
		if len(item) == 0 || item[len(item)-1] != '\n' {
			return
		}
		t0 := []byte(item)
		if len(t0) < 2 || (t0[0] != '-' && t0[0] != ' ') {
			return
		}
		if got, ok := quickItem(t0); ok {
			agreesWithYAML(t, item, got)
		}
	})
}
