package substitute

import (
	"reflect"
	"regexp"
	"slices"
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

// plainValue is a value YAML reads back as the same string wherever it is substituted.
var plainValue = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9._-]*$`)

// FuzzApply substitutes a value from a ConfigMap or Secret (spec.postBuild.substituteFrom)
// into a field of a built object. Whatever the field and value: no panic; an object without
// "${" is left as it was; and a plain value (one YAML reads as a string) substituted for
// "${a}" is exactly the field's new value.
func FuzzApply(f *testing.F) {
	f.Add("${a}", "plain")
	f.Add("x: ${a}", "[")
	f.Add("${a:=1}", "true")
	f.Add("pre-${a}-post", "v1.2")
	f.Add("no variable", "x")
	f.Fuzz(func(t *testing.T, field, value string) {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "cm"},
			"data":     map[string]any{"k": field},
		}}
		before := obj.DeepCopy()
		// Errors are fine (substitution is textual, so a value may break the YAML).
		err := Apply([]*unstructured.Unstructured{obj}, map[string]string{"a": value}, false)
		if !strings.Contains(field, "${") && (err != nil || !reflect.DeepEqual(obj.Object, before.Object)) {
			t.Fatalf("an object without variables changed: %v, %v", obj.Object, err)
		}
		lower := strings.ToLower(value)
		if field != "${a}" || !plainValue.MatchString(value) || slices.Contains(yamlWords, lower) {
			return
		}
		if got, _, _ := unstructured.NestedString(obj.Object, "data", "k"); err != nil || got != value {
			t.Fatalf("substituting %q gave %q, %v", value, got, err)
		}
	})
}

// yamlWords are the plain words YAML 1.1 reads as something other than a string.
var yamlWords = []string{"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", ".nan"}
