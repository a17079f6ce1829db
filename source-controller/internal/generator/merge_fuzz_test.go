package generator

import (
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// FuzzMergeYAML merges two YAML files of sources (an ArtifactGenerator's copy with strategy
// Merge). Whatever they hold: no panic; when both are YAML maps the merge succeeds, its
// output reads back as the values merge of the two, and merging an empty overlay gives the
// base's content back.
func FuzzMergeYAML(f *testing.F) {
	f.Add("a: 1\nb: {c: [1, 2]}\n", "b: {d: x}\n")
	f.Add("", "")
	f.Add("- 1\n", "a: 1\n")
	f.Add("a: &x {b: 1}\nc: *x\n", "c: {d: 2}\n")
	f.Fuzz(func(t *testing.T, base, overlay string) {
		out, err := mergeYAML([]byte(base), []byte(overlay))
		b, errB := yamlMap([]byte(base))
		o, errO := yamlMap([]byte(overlay))
		if (errB == nil && errO == nil) != (err == nil) {
			t.Fatalf("mergeYAML = %v with maps read as %v, %v", err, errB, errO)
		}
		if err != nil {
			return
		}
		var got map[string]any
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("the merge does not parse: %v\n%s", err, out)
		}
		if want := values.Merge(b, o); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("the merge reads back as %v, want %v", got, want)
		}
		if alone, err := mergeYAML([]byte(base), nil); err != nil {
			t.Fatal(err)
		} else if again, _ := yamlMap(alone); !reflect.DeepEqual(again, b) {
			t.Fatalf("merging nothing over %v gave %v", b, again)
		}
	})
}
