// Package export renders toolkit objects as the flux CLI writes them with --export and
// `flux export`: apiVersion, kind, metadata (name, namespace, labels, annotations) and the
// rest of the object without status or server-set metadata, each document opened by "---".
package export

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// keptMetadata are the metadata fields an export keeps.
var keptMetadata = []string{"name", "namespace", "labels", "annotations"}

// Clean returns obj as an export shows it: its group, version and kind, the metadata of
// keptMetadata (without the kubectl last-applied annotation) and every other top-level
// field but status.
func Clean(obj runtime.Object, gvk schema.GroupVersionKind) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("failed to convert %s: %w", gvk.Kind, err)
	}
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "status", "metadata":
		default:
			out[k] = v
		}
	}
	out["apiVersion"], out["kind"] = gvk.GroupVersion().String(), gvk.Kind
	meta := map[string]any{}
	src, _ := m["metadata"].(map[string]any)
	for _, k := range keptMetadata {
		if v, ok := src[k]; ok && v != nil {
			meta[k] = v
		}
	}
	if ann, ok := meta["annotations"].(map[string]any); ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
	out["metadata"] = meta
	return out, nil
}

// Write writes each object as an export document.
func Write(w io.Writer, objs ...map[string]any) error {
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("failed to encode the export: %w", err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return fmt.Errorf("failed to write the export: %w", err)
		}
	}
	return nil
}

// Object is Clean for an object that knows its kind (an unstructured one, or a typed one
// with TypeMeta set).
func Object(obj runtime.Object) (map[string]any, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if u, ok := obj.(*unstructured.Unstructured); ok {
		gvk = u.GroupVersionKind()
	}
	return Clean(obj, gvk)
}
