package apply

import (
	"context"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// countingReads is a client of the test API server that counts its Gets.
func countingReads(t *testing.T, reads *atomic.Int64) client.Client {
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			reads.Add(1)
			return c.Get(ctx, key, obj, opts...)
		},
	})
}

// An Observed Manager reads an object only when its dry run cannot show it unchanged since it
// was last seen; every change (in Git or in the cluster) is still found and corrected.
func TestObservedSkipsReadsOfUnchangedObjects(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	var reads atomic.Int64
	observed := NewObserved(100)
	m := NewManager(countingReads(t, &reads), owner, annotations).Observe(observed)
	objs := parse(t, configMap(ns, "a", "1"), configMap(ns, "b", "1"), deployment(ns, "web", 2))

	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Created)).To(Equal(3))
	g.Expect(observed.Len()).To(Equal(3), "the written objects are remembered")

	// Unchanged on both sides: dry runs only. A Deployment's status moves after the apply (the
	// test cluster has no controllers, so it does not here), which would cost one read.
	reads.Store(0)
	none, err := NewIgnorer(nil) // what a Kustomization without spec.ignore passes
	g.Expect(err).NotTo(HaveOccurred())
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{Ignore: none})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Unchanged)).To(Equal(3), cs.Entries)
	g.Expect(reads.Load()).To(BeZero())
	for _, c := range cs.Entries {
		g.Expect(c.Object).NotTo(BeNil())
		g.Expect(c.Object.GetResourceVersion()).NotTo(BeEmpty())
	}

	// Drift in the cluster: the resourceVersion moved, so the object is read and corrected.
	live := get(t, objs[0])
	g.Expect(unstructured.SetNestedField(live.Object, "changed", "data", "key")).To(Succeed())
	g.Expect(env.Client.Update(ctxFor(t), live, client.FieldOwner("kubectl"))).To(Succeed())
	reads.Store(0)
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(cs)).To(ContainElement(Change{Ref: RefOf(objs[0]), Action: Configured}))
	g.Expect(cs.Count(Unchanged)).To(Equal(2))
	g.Expect(reads.Load()).To(Equal(int64(1)))
	g.Expect(get(t, objs[0]).Object["data"]).To(HaveKeyWithValue("key", "1"))

	// A change in Git: the dry-run result differs from what was seen, so it is applied.
	objs[1] = parse(t, configMap(ns, "b", "2"))[0]
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(cs)).To(ContainElement(Change{Ref: RefOf(objs[1]), Action: Configured}))
	g.Expect(get(t, objs[1]).Object["data"]).To(HaveKeyWithValue("key", "2"))

	// And the next round is quiet again.
	reads.Store(0)
	cs, err = m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(Unchanged)).To(Equal(3), cs.Entries)
	g.Expect(reads.Load()).To(BeZero())
}

// An object disabled in the cluster (reconcile: disabled) is never taken as in sync from
// memory: it is read, and skipped.
func TestObservedHonoursDisabledObjects(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations).Observe(NewObserved(100))
	objs := parse(t, configMap(ns, "a", "1"))
	_, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())

	live := get(t, objs[0])
	live.SetAnnotations(map[string]string{annotations.Reconcile: disabledValue})
	g.Expect(unstructured.SetNestedField(live.Object, "by-hand", "data", "key")).To(Succeed())
	g.Expect(env.Client.Update(ctxFor(t), live, client.FieldOwner("kubectl"))).To(Succeed())
	for range 2 {
		cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cs.Count(Skipped)).To(Equal(1), cs.Entries)
		g.Expect(get(t, objs[0]).Object["data"]).To(HaveKeyWithValue("key", "by-hand"))
	}
}

// The Observed keeps no more objects than it was given room for.
func TestObservedIsBounded(t *testing.T) {
	o := NewObserved(2)
	for i, uid := range []types.UID{"a", "b", "c", "d"} {
		obj := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"i": int64(i)}}}
		obj.SetUID(uid)
		obj.SetResourceVersion("1")
		o.see(obj, false)
		if o.Len() > 2 {
			t.Fatalf("%d objects kept, room for 2", o.Len())
		}
	}
}
