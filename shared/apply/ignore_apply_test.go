package apply

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestApplyAllIgnore: a field an ignore rule names keeps the value the cluster has on the
// objects the rule targets (the drift is not corrected, the other fields of the object are
// applied), and is corrected as ever on the objects it does not target; an object that does
// not exist yet is created with it.
func TestApplyAllIgnore(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	_, err := m.ApplyAll(ctxFor(t), parse(t, deployment(ns, "web", 2), deployment(ns, "api", 2)), Options{})
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range []string{"web", "api"} {
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"replicas":5}}`))
		scale := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "autoscaling/v1", "kind": "Scale"}}
		g.Expect(env.Client.SubResource("scale").Patch(ctxFor(t), get(t, parse(t, deployment(ns, name, 0))[0]), patch,
			client.WithSubResourceBody(scale), client.FieldOwner("kubectl"))).To(Succeed())
	}

	ig, err := NewIgnorer([]fluxmeta.IgnoreRule{{Paths: []string{"/spec/replicas"}, Target: &fluxmeta.Selector{Kind: "Deployment", Name: "web|new"}}})
	g.Expect(err).NotTo(HaveOccurred())
	web := strings.Replace(deployment(ns, "web", 3), "nginx:1", "nginx:2", 1)
	objs := parse(t, web, deployment(ns, "api", 2), deployment(ns, "new", 4))
	cs, err := m.ApplyAll(ctxFor(t), objs, Options{Ignore: ig})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Configured)).To(Equal(2), "web's image and api's replicas")
	g.Expect(cs.Count(Created)).To(Equal(1))
	field := func(obj *unstructured.Unstructured, path ...string) any {
		v, _, _ := unstructured.NestedFieldNoCopy(get(t, obj).Object, path...)
		return v
	}
	g.Expect(field(objs[0], "spec", "replicas")).To(BeEquivalentTo(5), "ignored: the cluster's value stays")
	containers := field(objs[0], "spec", "template", "spec", "containers").([]any)
	g.Expect(containers[0].(map[string]any)["image"]).To(Equal("nginx:2"), "the other fields are applied")
	g.Expect(field(objs[1], "spec", "replicas")).To(BeEquivalentTo(2), "not targeted: corrected")
	g.Expect(field(objs[2], "spec", "replicas")).To(BeEquivalentTo(4), "created with the field")

	// Nothing drifted apart from the ignored field: a second run changes nothing.
	cs, err = m.ApplyAll(ctxFor(t), parse(t, web, deployment(ns, "api", 2), deployment(ns, "new", 4)), Options{Ignore: ig})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Unchanged)).To(Equal(3))
}

func TestKeepPath(t *testing.T) {
	live := map[string]any{"spec": map[string]any{"replicas": int64(5), "list": []any{map[string]any{"a": "live"}}}}
	tests := []struct {
		name    string
		pointer string
		want    map[string]any
	}{
		{"live value", "/spec/replicas", map[string]any{"spec": map[string]any{"replicas": int64(5), "list": []any{map[string]any{"a": "git"}}}}},
		{"list item field", "/spec/list/0/a", map[string]any{"spec": map[string]any{"replicas": int64(2), "list": []any{map[string]any{"a": "live"}}}}},
		{"missing in the cluster", "/spec/other", map[string]any{"spec": map[string]any{"replicas": int64(2), "list": []any{map[string]any{"a": "git"}}}}},
		{"removed when the cluster has none", "/spec/extra", map[string]any{"spec": map[string]any{"replicas": int64(2), "list": []any{map[string]any{"a": "git"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := &unstructured.Unstructured{Object: map[string]any{
				"spec": map[string]any{"replicas": int64(2), "extra": "x", "list": []any{map[string]any{"a": "git"}}}}}
			if tt.name != "removed when the cluster has none" {
				delete(obj.Object["spec"].(map[string]any), "extra")
			}
			ig, err := NewIgnorer([]fluxmeta.IgnoreRule{{Paths: []string{tt.pointer}}})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ig.Keep(obj, &unstructured.Unstructured{Object: live})).To(BeTrue())
			g.Expect(obj.Object).To(Equal(tt.want))
		})
	}
}
