package apply

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestPrune(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	outsider := parse(t, configMap(ns, "outsider", "1"))
	g.Expect(env.Client.Create(ctxFor(t), outsider[0])).To(Succeed())

	objs := parse(t,
		configMap(ns, "stays", "1"),
		configMap(ns, "leaves", "1"),
		configMap(ns, "kept", "1", "kustomize.toolkit.fluxcd.io/prune", "disabled"),
		configMap(ns, "gone", "1"),
	)
	cs, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	old := cs.Inventory()
	g.Expect(old.Entries).To(HaveLen(4))
	g.Expect(env.Client.Delete(ctxFor(t), objs[3])).To(Succeed())

	cs, err = m.ApplyAll(ctxFor(t), objs[:1], Options{})
	g.Expect(err).NotTo(HaveOccurred())
	gone, err := Diff(old, cs.Inventory())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(gone).To(ConsistOf(RefOf(objs[1]), RefOf(objs[2]), RefOf(objs[3])))

	pruned, err := m.Prune(ctxFor(t), gone)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(pruned)).To(ConsistOf(
		Change{Ref: RefOf(objs[1]), Action: Deleted},
		Change{Ref: RefOf(objs[2]), Action: Skipped},
		Change{Ref: RefOf(objs[3]), Action: Skipped},
	))
	g.Expect(get(t, objs[0])).NotTo(BeNil())
	g.Expect(get(t, objs[1])).To(BeNil())
	g.Expect(get(t, objs[2])).NotTo(BeNil())
	g.Expect(get(t, outsider[0])).NotTo(BeNil(), "objects outside the inventory are never pruned")
}

func TestPruneSkipsOtherOwners(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	objs := parse(t, configMap(ns, "mine", "1"), configMap(ns, "moved", "1"))
	objs[0].SetLabels(map[string]string{"owner": "a"})
	objs[1].SetLabels(map[string]string{"owner": "b"})
	_, err := m.ApplyAll(ctxFor(t), objs, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	pruned, err := m.PruneWith(ctxFor(t), []ObjectRef{RefOf(objs[0]), RefOf(objs[1])}, PruneOptions{OwnerLabels: map[string]string{"owner": "a"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(pruned)).To(Equal([]Change{{Ref: RefOf(objs[0]), Action: Deleted}, {Ref: RefOf(objs[1]), Action: Skipped}}))
	g.Expect(get(t, objs[1])).NotTo(BeNil())
}

// TestPruneKindGone: an object of a kind the cluster no longer serves (its CRD was deleted
// with the rest of the inventory) is gone too; pruning it is not an error that would hold a
// Kustomization's deletion forever.
func TestPruneKindGone(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	m := NewManager(env.Client, owner, annotations)
	ref := ObjectRef{Group: "widgets.example.com", Version: "v1", Kind: "Widget", Namespace: ns, Name: "orphan"}
	pruned, err := m.Prune(ctxFor(t), []ObjectRef{ref})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actions(pruned)).To(Equal([]Change{{Ref: ref, Action: Skipped}}))
}
