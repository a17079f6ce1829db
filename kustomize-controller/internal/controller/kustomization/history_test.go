package kustomization

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestHistory: status.history has one snapshot per distinct applied build (digest), newest
// first: a reconcile of the same build counts in its snapshot, a build seen before moves its
// snapshot to the front, a failed apply is recorded with its reason, and at most
// HistoryMaxSize snapshots are kept.
func TestHistory(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	files := func(v string) map[string]string { return map[string]string{"cm.yaml": configMap("cm", v)} }
	a := publish(t, ns, rev(1), files("1"))
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) { k.Spec.TargetNamespace = ns })
	got := readyAt(t, k, a.Revision)
	g.Expect(got.Status.History).To(HaveLen(1))
	first := got.Status.History[0]
	g.Expect(first.Digest).To(MatchRegexp("^sha256:[0-9a-f]{64}$"))
	g.Expect(first.TotalReconciliations).To(BeEquivalentTo(1))
	g.Expect(first.LastReconciledStatus).To(Equal(fluxmeta.ReconciliationSucceededReason))
	g.Expect(first.Metadata).To(Equal(map[string]string{"revision": a.Revision}))
	g.Expect(first.FirstReconciled).To(Equal(first.LastReconciled))
	g.Expect(first.LastReconciledDuration.Duration).To(BeNumerically(">", 0))

	// The same build again: counted, no new snapshot.
	got = statuscheck.RequestReconcile(t, env.Client, k)
	g.Expect(got.Status.History).To(HaveLen(1))
	g.Expect(got.Status.History[0].TotalReconciliations).To(BeEquivalentTo(2))
	g.Expect(got.Status.History[0].FirstReconciled).To(Equal(first.FirstReconciled))

	// A new build, then the first build again under a new revision.
	b := publish(t, ns, rev(2), files("2"))
	setArtifact(t, repo, b)
	got = readyAt(t, k, b.Revision)
	g.Expect(got.Status.History).To(HaveLen(2))
	g.Expect(got.Status.History[0].Digest).NotTo(Equal(first.Digest))
	c := publish(t, ns, rev(3), files("1"))
	setArtifact(t, repo, c)
	got = readyAt(t, k, c.Revision)
	g.Expect(got.Status.History).To(HaveLen(2))
	g.Expect(got.Status.History[0].Digest).To(Equal(first.Digest))
	g.Expect(got.Status.History[0].TotalReconciliations).To(BeEquivalentTo(3))
	g.Expect(got.Status.History[0].Metadata).To(Equal(map[string]string{"revision": c.Revision}))

	// A build the API server refuses: recorded with the reason of the failure.
	bad := publish(t, ns, rev(4), map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n"})
	setArtifact(t, repo, bad)
	got = statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, "Not_Valid")
	g.Expect(got.Status.History).To(HaveLen(3))
	g.Expect(got.Status.History[0].LastReconciledStatus).To(Equal(fluxmeta.ReconciliationFailedReason))
	g.Expect(got.Status.History[0].Metadata["revision"]).To(Equal(bad.Revision))

	for i := 5; i <= 8; i++ {
		next := publish(t, ns, rev(i), files(fmt.Sprint(i)))
		setArtifact(t, repo, next)
		got = readyAt(t, k, next.Revision)
	}
	g.Expect(got.Status.History).To(HaveLen(kustomizev1.HistoryMaxSize))
	g.Expect(got.Status.History[0].Metadata["revision"]).To(Equal(rev(8)))
	g.Expect(got.Status.History[kustomizev1.HistoryMaxSize-1].Metadata["revision"]).To(Equal(bad.Revision))
}
