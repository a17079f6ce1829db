package diff

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestObjects(t *testing.T) {
	live := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "resourceVersion": "7", "generation": int64(3), "labels": map[string]any{"a": "1", "gone": "x"}},
		"spec":     map[string]any{"replicas": int64(2), "template": map[string]any{"containers": []any{map[string]any{"image": "nginx:1.0"}}}},
		"status":   map[string]any{"readyReplicas": int64(2)},
	}}
	want := live.DeepCopy()
	want.Object["status"] = map[string]any{}
	unstructured.RemoveNestedField(want.Object, "metadata", "resourceVersion")
	_ = unstructured.SetNestedField(want.Object, int64(3), "spec", "replicas")
	_ = unstructured.SetNestedSlice(want.Object, []any{map[string]any{"image": "nginx:1.1"}}, "spec", "template", "containers")
	unstructured.RemoveNestedField(want.Object, "metadata", "labels", "gone")
	_ = unstructured.SetNestedField(want.Object, "2", "metadata", "labels", "new")

	got := Objects(live, want)
	wantPaths := []string{"metadata.labels.gone", "metadata.labels.new", "spec.replicas", "spec.template.containers[0].image"}
	if len(got) != len(wantPaths) {
		t.Fatalf("changes = %+v", got)
	}
	for i, p := range wantPaths {
		if got[i].Path != p {
			t.Errorf("change %d = %s, want %s", i, got[i].Path, p)
		}
	}
	if s := got[2].String(); s != "spec.replicas\n  ± value change\n    - 2\n    + 3" {
		t.Errorf("String() = %q", s)
	}
	if len(Objects(live, live.DeepCopy())) != 0 {
		t.Error("an object differs from itself")
	}
}
