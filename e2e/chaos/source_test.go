package chaos

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestChaosSourceControllerDown is fault 3 of the chaos issue: the source-controller is away
// (its artifacts unreachable) and the kustomize-controller restarts meanwhile, so it must
// fetch again. The Kustomization reports Ready=False ArtifactFailed naming the revision it
// cannot fetch, keeps what it applied (nothing pruned, nothing re-applied empty) for as long
// as the outage lasts, and recovers on its own once the source-controller is back.
func TestChaosSourceControllerDown(t *testing.T) {
	g := NewWithT(t)
	sz := runSize()
	ns := testenv.NewNamespace(t, env.Client)
	w := newWorkload(t, ns, size{Kustomizations: 1})
	objs := w.objects(t)
	apply(t, objs...)
	ks := objs[2]
	var revision string
	g.Eventually(func(g Gomega) {
		cur := get(g, ks)
		expectReady(g, cur)
		revision, _, _ = unstructured.NestedString(cur.Object, "status", "lastAppliedRevision")
		g.Expect(revision).NotTo(BeEmpty())
		expectAppObjects(g, ns, size{Kustomizations: 1}, false)
	}, timeout, poll).Should(Succeed())

	if err := controllers.Kill("source-controller"); err != nil {
		t.Fatal(err)
	}
	downSince := time.Now()
	restart(t, "kustomize-controller")
	t.Logf("source-controller down; kustomize-controller restarted with an empty artifact cache")

	g.Eventually(func(g Gomega) {
		status, reason, msg := ready(get(g, ks))
		g.Expect(status).To(Equal("False"))
		g.Expect(reason).To(Equal("ArtifactFailed"))
		g.Expect(msg).To(ContainSubstring(revision))
	}, timeout, poll).Should(Succeed(), "the Kustomization reports the unreachable artifact")
	msg := func() string { _, _, m := ready(get(g, ks)); return m }()
	t.Logf("Ready=False ArtifactFailed: %s", msg)

	g.Consistently(func(g Gomega) {
		expectAppObjects(g, ns, size{Kustomizations: 1}, false)
	}, time.Until(downSince.Add(sz.SourceDown)), poll).Should(Succeed(), "what was applied stays while the source is away")

	restart(t, "source-controller")
	back := time.Now()
	g.Eventually(func(g Gomega) {
		cur := get(g, ks)
		expectReady(g, cur)
		applied, _, _ := unstructured.NestedString(cur.Object, "status", "lastAppliedRevision")
		g.Expect(applied).To(Equal(revision))
		expectAppObjects(g, ns, size{Kustomizations: 1}, false)
	}, reconcileInterval+time.Minute, poll).Should(Succeed(), "the Kustomization recovers on its own")
	t.Logf("down %v; Ready again %v after the source-controller came back", back.Sub(downSince).Round(time.Second),
		time.Since(back).Round(100*time.Millisecond))
}

// restart kills controller name (unless it is dead already) and starts it again at once.
func restart(t *testing.T, name string) {
	t.Helper()
	if err := controllers.Kill(name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := controllers.Restart(ctx, name); err != nil {
		t.Fatal(err)
	}
}
