package apply

import (
	"reflect"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

func TestRemovePath(t *testing.T) {
	doc := func() map[string]any {
		return map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{"a/b": "1", "c~d": "2", "keep": "3"}},
			"spec": map[string]any{"replicas": int64(2),
				"containers": []any{map[string]any{"name": "a", "image": "x"}, map[string]any{"name": "b"}}},
		}
	}
	tests := []struct {
		name    string
		pointer string
		check   func(g Gomega, d map[string]any)
	}{
		{"map field", "/spec/replicas", func(g Gomega, d map[string]any) {
			g.Expect(d["spec"]).NotTo(HaveKey("replicas"))
		}},
		{"escaped slash", "/metadata/annotations/a~1b", func(g Gomega, d map[string]any) {
			g.Expect(d["metadata"].(map[string]any)["annotations"]).To(Equal(map[string]any{"c~d": "2", "keep": "3"}))
		}},
		{"escaped tilde", "/metadata/annotations/c~0d", func(g Gomega, d map[string]any) {
			g.Expect(d["metadata"].(map[string]any)["annotations"]).To(Equal(map[string]any{"a/b": "1", "keep": "3"}))
		}},
		{"field in a list item", "/spec/containers/0/image", func(g Gomega, d map[string]any) {
			g.Expect(d["spec"].(map[string]any)["containers"]).To(Equal([]any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}))
		}},
		{"list item", "/spec/containers/0", func(g Gomega, d map[string]any) {
			g.Expect(d["spec"].(map[string]any)["containers"]).To(Equal([]any{map[string]any{"name": "b"}}))
		}},
		{"missing path", "/spec/nothing/here", func(g Gomega, d map[string]any) { g.Expect(d).To(Equal(doc())) }},
		{"index out of range", "/spec/containers/7", func(g Gomega, d map[string]any) { g.Expect(d).To(Equal(doc())) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := doc()
			parts, err := splitPointer(tt.pointer)
			g.Expect(err).NotTo(HaveOccurred())
			removePath(d, parts)
			tt.check(g, d)
		})
	}
}

func TestIgnoreRuleTargets(t *testing.T) {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("apps/v1")
	obj.SetKind("Deployment")
	obj.SetNamespace("apps")
	obj.SetName("web-1")
	obj.SetLabels(map[string]string{"tier": "front"})
	obj.SetAnnotations(map[string]string{"team": "a"})
	tests := []struct {
		name   string
		target *fluxmeta.Selector
		want   bool
	}{
		{"no target", nil, true},
		{"group and kind", &fluxmeta.Selector{Group: "apps", Kind: "Deployment"}, true},
		{"other kind", &fluxmeta.Selector{Kind: "StatefulSet"}, false},
		{"other version", &fluxmeta.Selector{Version: "v1beta1"}, false},
		{"namespace", &fluxmeta.Selector{Namespace: "apps"}, true},
		{"other namespace", &fluxmeta.Selector{Namespace: "default"}, false},
		{"name pattern", &fluxmeta.Selector{Name: "web-[0-9]+"}, true},
		{"name pattern is anchored", &fluxmeta.Selector{Name: "web"}, false},
		{"kind pattern", &fluxmeta.Selector{Group: "apps|batch", Kind: "Deploy.*|StatefulSet"}, true},
		{"kind pattern is anchored", &fluxmeta.Selector{Kind: "Deploy"}, false},
		{"version pattern", &fluxmeta.Selector{Version: "v[0-9]+"}, true},
		{"namespace pattern", &fluxmeta.Selector{Namespace: "ap+s"}, true},
		{"namespace pattern mismatch", &fluxmeta.Selector{Namespace: "app"}, false},
		{"label selector", &fluxmeta.Selector{LabelSelector: "tier in (front, back)"}, true},
		{"label selector mismatch", &fluxmeta.Selector{LabelSelector: "tier=back"}, false},
		{"annotation selector", &fluxmeta.Selector{AnnotationSelector: "team=a"}, true},
		{"annotation selector mismatch", &fluxmeta.Selector{AnnotationSelector: "team!=a"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ig, err := NewIgnorer([]fluxmeta.IgnoreRule{{Paths: []string{"/spec"}, Target: tt.target}})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ig.rules[0].matches(obj)).To(Equal(tt.want))
		})
	}
}

func TestIgnoreRuleErrors(t *testing.T) {
	tests := []struct {
		name string
		rule fluxmeta.IgnoreRule
		want string
	}{
		{"empty pointer", fluxmeta.IgnoreRule{Paths: []string{""}}, "the whole object cannot be ignored"},
		{"relative pointer", fluxmeta.IgnoreRule{Paths: []string{"spec/replicas"}}, "it must start with /"},
		{"bad name pattern", fluxmeta.IgnoreRule{Paths: []string{"/spec"}, Target: &fluxmeta.Selector{Name: "web-("}}, "target name"},
		{"bad kind pattern", fluxmeta.IgnoreRule{Paths: []string{"/spec"}, Target: &fluxmeta.Selector{Kind: "Deploy("}}, "target kind"},
		{"bad label selector", fluxmeta.IgnoreRule{Paths: []string{"/spec"}, Target: &fluxmeta.Selector{LabelSelector: "a in ("}}, "target labelSelector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := NewIgnorer([]fluxmeta.IgnoreRule{tt.rule})
			g.Expect(err).To(MatchError(ContainSubstring(tt.want)))
		})
	}
}

// FuzzIgnorePointer reads a JSON pointer of spec.driftDetection.ignore. Whatever the pointer:
// no panic; stripping it from an object only removes (never adds or changes a value); and a
// pointer naming map keys that exist removes exactly that field.
func FuzzIgnorePointer(f *testing.F) {
	for _, seed := range []string{"/spec/replicas", "/spec/containers/0/image", "/a~1b/~0c", "/", "//", "/spec/containers/-1", "spec", "/spec/~2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pointer string) {
		ig, err := NewIgnorer([]fluxmeta.IgnoreRule{{Paths: []string{pointer}}})
		if err != nil {
			return
		}
		fresh := func() *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"spec": map[string]any{"replicas": int64(1), "containers": []any{map[string]any{"image": "x"}, "y"}},
				"a/b":  map[string]any{"~c": true},
			}}
		}
		obj, orig := fresh(), fresh()
		ig.Strip(obj, obj)
		if !subset(obj.Object, orig.Object) {
			t.Fatalf("stripping %q changed or added a value: %v", pointer, obj.Object)
		}
		parts, _ := splitPointer(pointer)
		if len(parts) == 0 {
			return
		}
		parent, ok := any(orig.Object).(map[string]any)
		for _, p := range parts[:len(parts)-1] {
			if parent, ok = parent[p].(map[string]any); !ok {
				return
			}
		}
		if _, exists := parent[parts[len(parts)-1]]; !exists {
			return
		}
		cur := obj.Object
		for _, p := range parts[:len(parts)-1] {
			if cur, ok = cur[p].(map[string]any); !ok {
				t.Fatalf("stripping %q removed a parent", pointer)
			}
		}
		if _, still := cur[parts[len(parts)-1]]; still {
			t.Fatalf("stripping %q left the field", pointer)
		}
	})
}

// subset reports whether a holds only what b holds: map keys of b with values that are
// subsets, lists no longer than b's with elements that are subsets of some element of b's
// (an index removed shifts the rest), other values equal.
func subset(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range av {
			if w, ok := bv[k]; !ok || !subset(v, w) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) > len(bv) {
			return false
		}
		for _, v := range av {
			if !slices.ContainsFunc(bv, func(w any) bool { return subset(v, w) }) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}
