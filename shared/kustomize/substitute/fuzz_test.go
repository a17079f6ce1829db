package substitute

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func FuzzExpand(f *testing.F) {
	for _, seed := range []string{
		"${a}", "${a:=b}", "$${a}", "${a/b/c}", "${#a}", "${a:1:2}", "${a: -1}", "${a##*/}",
		"${a:=${b:=${c}}}", "${", "${}", "$$", "${a^^}${a,,}", "${a//}", "x${a%.*}y", "${a:x}",
	} {
		f.Add(seed, "value/with.dots")
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		vars := map[string]string{"a": value, "b": "", "c": "c"}
		out, err := Expand(text, vars, false)
		if err != nil {
			t.Fatalf("non-strict expansion failed: %v", err)
		}
		if !strings.Contains(text, "$") && out != text {
			t.Fatalf("text without $ changed: %q -> %q", text, out)
		}
		if _, err := Expand(text, vars, true); err != nil && !strings.Contains(err.Error(), "is not set") {
			t.Fatalf("unexpected strict error: %v", err)
		}
	})
}

func FuzzApply(f *testing.F) {
	f.Add("${a}", "plain")
	f.Add("x: ${a}", "[")
	f.Add("${a:=1}", "true")
	f.Fuzz(func(t *testing.T, field, value string) {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "cm"},
			"data":     map[string]any{"k": field},
		}}
		// Errors are fine (the value may break the YAML); panics are not.
		_ = Apply([]*unstructured.Unstructured{obj}, map[string]string{"a": value}, false)
	})
}
