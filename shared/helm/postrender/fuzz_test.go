package postrender

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// FuzzPostRender post-renders what a chart rendered (a chart is code from a repository, its
// output untrusted) with a strategic merge patch, an image override and common metadata.
// Whatever the manifests: no panic; when post-rendering succeeds every object carries the
// HelmRelease's name and namespace labels and the common labels and annotations; and
// post-rendering the output again gives the same objects.
func FuzzPostRender(f *testing.F) {
	f.Add(manifests)
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: null\n")
	f.Add("---\n# only a comment\n---\n")
	f.Add("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n")
	f.Add("- a\n- b\n")
	obj := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "rel", Namespace: "ns"}}
	obj.Spec.PostRenderers = []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{
		Patches: []fluxmeta.Patch{{Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n"}},
		Images:  []fluxmeta.Image{{Name: "nginx", NewTag: "2.0"}},
	}}}
	obj.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"note": "x"}}
	f.Fuzz(func(t *testing.T, rendered string) {
		pr := Build(obj)
		out, err := pr.Run(bytes.NewBufferString(rendered))
		if err != nil {
			return
		}
		first := out.String()
		nodes, err := kio.FromBytes([]byte(first))
		if err != nil {
			t.Fatalf("the output does not parse: %v\n%s", err, first)
		}
		for _, n := range nodes {
			labels, annotations := n.GetLabels(), n.GetAnnotations()
			if labels[helmv2.NameLabel] != "rel" || labels[helmv2.NamespaceLabel] != "ns" || labels["team"] != "a" || annotations["note"] != "x" {
				t.Fatalf("an object lacks the labels or annotations: %v %v\n%s", labels, annotations, first)
			}
		}
		again, err := Build(obj).Run(bytes.NewBufferString(first))
		if err != nil {
			t.Fatalf("post-rendering the output again failed: %v\n%s", err, first)
		}
		if a, b := objects(t, first), objects(t, again.String()); !reflect.DeepEqual(a, b) {
			t.Fatalf("post-rendering is not stable:\n%s\n---- then ----\n%s", first, again)
		}
	})
}

// objects decodes every document of a YAML stream.
func objects(t *testing.T, stream string) []any {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for _, n := range nodes {
		data, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
