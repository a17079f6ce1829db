package apply

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func configMap(ns, name, value string, annotations ...string) string {
	ann := ""
	if len(annotations) > 0 {
		ann = "\n  annotations:"
		for i := 0; i+1 < len(annotations); i += 2 {
			ann += fmt.Sprintf("\n    %s: %q", annotations[i], annotations[i+1])
		}
	}
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s%s\ndata:\n  key: %q\n", name, ns, ann, value)
}

func deployment(ns, name string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers: [{name: app, image: "nginx:1"}]
`, name, ns, replicas, name, name)
}

func resourceVersions(t *testing.T, objs []*unstructured.Unstructured) []string {
	var rvs []string
	for _, o := range objs {
		rvs = append(rvs, get(t, o).GetResourceVersion())
	}
	return rvs
}

func TestApplyAllRounds(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	objs := parse(t, configMap(ns, "a", "1"), configMap(ns, "b", "1"), deployment(ns, "web", 2))

	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Created)).To(Equal(3))
	before := resourceVersions(t, objs)

	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Unchanged)).To(Equal(3), cs.Entries)
	g.Expect(cs.Changed()).To(BeFalse())
	g.Expect(resourceVersions(t, objs)).To(Equal(before), "the unchanged round must write nothing")

	objs[1] = parse(t, configMap(ns, "b", "2"))[0]
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(cs)).To(ContainElement(Change{Ref: RefOf(objs[1]), Action: Configured}))
	g.Expect(cs.Count(Unchanged)).To(Equal(2))
	g.Expect(get(t, objs[1]).Object["data"]).To(HaveKeyWithValue("key", "2"))
}

func TestApplyAllInvalidObjectAppliesNothing(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	bad := fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, namespace: %s}\nspec:\n  selector: {matchLabels: {app: one}}\n  template: {metadata: {labels: {app: other}}}\n", ns)
	objs := parse(t, configMap(ns, "good", "1"), bad)

	_, err := NewManager(env.Client, owner, annotations).ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("Deployment/" + ns + "/bad"))
	g.Expect(err.Error()).To(ContainSubstring("selector"))
	g.Expect(get(t, objs[0])).To(BeNil(), "nothing of the stage may be written")
}

func TestApplyAllCRDAndInstance(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	suffix := strings.TrimPrefix(ns, "testapplyallcrdandinstance-")
	group := suffix + ".apply.ferry.test"
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.` + group + `}
spec:
  group: ` + group + `
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
	widget := fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w, namespace: %s}\nspec: {size: 3}\n", group, ns)
	newNS := "apply-crd-" + suffix
	namespace := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", newNS)
	objs := parse(t, widget, crd, namespace, configMap(newNS, "in-new-ns", "1"))
	t.Cleanup(func() {
		_ = env.Client.Delete(ctxFor(t), objs[2])
		_ = env.Client.Delete(ctxFor(t), objs[1])
	})

	cs, err := NewManager(env.Client, owner, annotations).ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Created)).To(Equal(4))
	g.Expect(cs.Entries[0].Ref.Kind).To(Equal("CustomResourceDefinition"), "class objects come first")
	g.Expect(get(t, objs[0])).NotTo(BeNil())
	g.Expect(get(t, objs[3])).NotTo(BeNil())
}

func TestApplyAllAnnotations(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	ssa := "kustomize.toolkit.fluxcd.io/ssa"
	_, err := m.ApplyAll(ctxFor(t), parse(t, configMap(ns, "present", "cluster")), Options{})
	g.Expect(err).NotTo(HaveOccurred())

	objs := parse(t,
		configMap(ns, "ignored", "1", ssa, "Ignore"),
		configMap(ns, "present", "git", ssa, "IfNotPresent"),
		configMap(ns, "missing", "git", ssa, "IfNotPresent"),
	)
	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(cs)).To(Equal([]Change{
		{Ref: RefOf(objs[0]), Action: Skipped},
		{Ref: RefOf(objs[1]), Action: Skipped},
		{Ref: RefOf(objs[2]), Action: Created},
	}))
	g.Expect(get(t, objs[0])).To(BeNil())
	g.Expect(get(t, objs[1]).Object["data"]).To(HaveKeyWithValue("key", "cluster"))
	g.Expect(get(t, objs[2]).Object["data"]).To(HaveKeyWithValue("key", "git"))
}

func job(ns, image string, annotations string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: %s, annotations: {%s}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: app, image: %q}]
`, ns, annotations, image)
}

func TestApplyAllForceRecreatesJob(t *testing.T) {
	tests := []struct {
		name       string
		annotation string
		force      bool
	}{
		{"annotation", `"kustomize.toolkit.fluxcd.io/force": "enabled"`, false},
		{"option", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, env.Client)
			m := NewManager(env.Client, owner, annotations)
			_, err := m.ApplyAll(ctxFor(t), parse(t, job(ns, "busybox:1", tt.annotation)), Options{})
			g.Expect(err).NotTo(HaveOccurred())
			oldUID := get(t, parse(t, job(ns, "", ""))[0]).GetUID()

			changed := parse(t, job(ns, "busybox:2", tt.annotation))
			_, err = m.ApplyAll(ctxFor(t), parse(t, job(ns, "busybox:2", "")), Options{})
			g.Expect(err).To(MatchError(ContainSubstring("immutable")), "without force the change fails")

			cs, err := m.ApplyAll(ctxFor(t), changed, Options{Force: tt.force})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cs.Count(Configured)).To(Equal(1))
			live := get(t, changed[0])
			g.Expect(live.GetUID()).NotTo(Equal(oldUID), "the job must be recreated")
			image, _, _ := unstructured.NestedSlice(live.Object, "spec", "template", "spec", "containers")
			g.Expect(image[0]).To(HaveKeyWithValue("image", "busybox:2"))
		})
	}
}

// TestApplyAllForceOneDeadline: forced objects whose deletion never ends are waited for until
// WaitTimeout, one deadline for all of them, and not each for a timeout of its own: the call
// gives up on its own, long before the caller's deadline.
func TestApplyAllForceOneDeadline(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	const hold = "ferry.test/hold"
	frozen := func(name, value string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\n  finalizers: [%s]\n"+
			"immutable: true\ndata:\n  key: %q\n", name, ns, hold, value)
	}
	var before, after []string
	for i := range 6 {
		name := fmt.Sprintf("frozen-%d", i)
		before, after = append(before, frozen(name, "1")), append(after, frozen(name, "2"))
	}
	_, err := m.ApplyAll(ctxFor(t), parse(t, before...), Options{})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		for _, o := range parse(t, before...) {
			_ = env.Client.Patch(context.Background(), o, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	_, err = m.ApplyAll(ctx, parse(t, after...), Options{Force: true, WaitTimeout: 2 * time.Second})
	g.Expect(err).To(MatchError(ContainSubstring("failed to wait for the deletion")))
	g.Expect(ctx.Err()).NotTo(HaveOccurred(), "ApplyAll gave up at WaitTimeout, not at the caller's deadline")
}

func TestApplyAllRevertsDrift(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	objs := parse(t, deployment(ns, "web", 2))
	_, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())

	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"replicas":5}}`))
	scale := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "autoscaling/v1", "kind": "Scale"}}
	g.Expect(env.Client.SubResource("scale").Patch(ctxFor(t), get(t, objs[0]), patch,
		client.WithSubResourceBody(scale), client.FieldOwner("kubectl"))).To(Succeed())
	replicas, _, _ := unstructured.NestedInt64(get(t, objs[0]).Object, "spec", "replicas")
	g.Expect(replicas).To(Equal(int64(5)))

	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Configured)).To(Equal(1))
	replicas, _, _ = unstructured.NestedInt64(get(t, objs[0]).Object, "spec", "replicas")
	g.Expect(replicas).To(Equal(int64(2)))
}

// actions returns the entries of cs without their objects, for comparisons.
func actions(cs *ChangeSet) []Change {
	out := make([]Change, len(cs.Entries))
	for i, e := range cs.Entries {
		out[i] = Change{Ref: e.Ref, Action: e.Action}
	}
	return out
}

func TestApplyAllReconcileDisabled(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	rec := "kustomize.toolkit.fluxcd.io/reconcile"
	_, err := m.ApplyAll(ctxFor(t), parse(t, configMap(ns, "frozen", "cluster", rec, "disabled"), configMap(ns, "live", "1")), Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(get(t, parse(t, configMap(ns, "frozen", ""))[0])).To(BeNil(), "an object disabled in the build is never applied")

	// Disabled on the live object: left alone even though the build changes it.
	live := get(t, parse(t, configMap(ns, "live", ""))[0])
	live.SetAnnotations(map[string]string{rec: "disabled"})
	g.Expect(env.Client.Update(ctxFor(t), live)).To(Succeed())
	cs, err := m.ApplyAll(ctxFor(t), parse(t, configMap(ns, "live", "2")), Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Entries[0].Action).To(Equal(Skipped))
	g.Expect(get(t, live).Object["data"]).To(HaveKeyWithValue("key", "1"))

	pruned, err := m.Prune(ctxFor(t), []ObjectRef{RefOf(live)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pruned.Entries[0].Action).To(Equal(Skipped))
	g.Expect(get(t, live)).NotTo(BeNil())
}

func TestApplyAllReturnsObjects(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	objs := parse(t, configMap(ns, "a", "1"), deployment(ns, "web", 1))
	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	for _, e := range cs.Entries {
		g.Expect(e.Object).NotTo(BeNil())
		g.Expect(e.Object.GetUID()).To(Equal(get(t, e.Object).GetUID()), "the written object, not the dry run")
	}
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Unchanged)).To(Equal(2))
	for _, e := range cs.Entries {
		g.Expect(e.Object.GetResourceVersion()).To(Equal(get(t, e.Object).GetResourceVersion()))
	}
}
