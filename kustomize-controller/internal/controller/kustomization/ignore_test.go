package kustomization

import (
	"testing"

	. "github.com/onsi/gomega"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestDriftIgnore: spec.ignore leaves the fields it names, on the objects its target selects,
// as the cluster has them, while a reconcile corrects the same drift on the others and
// applies the other fields of the selected ones; a rule that does not parse stalls.
func TestDriftIgnore(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	cm := func(name, key, other string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  labels:\n    tier: " + name +
			"\ndata:\n  key: \"" + key + "\"\n  other: \"" + other + "\"\n"
	}
	a := publish(t, ns, rev(1), map[string]string{"a.yaml": cm("kept", "1", "1"), "b.yaml": cm("fixed", "1", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Ignore = []fluxmeta.IgnoreRule{{
			Paths:  []string{"/data/key"},
			Target: &fluxmeta.Selector{Version: "v1", Kind: "ConfigMap", Namespace: ns, LabelSelector: "tier=kept"},
		}}
	})
	readyAt(t, k, a.Revision)

	// Someone edits both ConfigMaps in the cluster.
	for _, name := range []string{"kept", "fixed"} {
		live := object(t, "v1", "ConfigMap", ns, name)
		live.Object["data"] = map[string]any{"key": "edited", "other": "edited"}
		g.Expect(env.Client.Update(ctxT(t), live)).To(Succeed())
	}
	data := func(name string) any { return object(t, "v1", "ConfigMap", ns, name).Object["data"] }
	statuscheck.RequestReconcile(t, env.Client, k)
	g.Expect(data("kept")).To(Equal(map[string]any{"key": "edited", "other": "1"}), "the ignored field keeps its drift")
	g.Expect(data("fixed")).To(Equal(map[string]any{"key": "1", "other": "1"}), "other objects are corrected")

	// A new revision changes the ignored field in Git too: the cluster's value stays.
	b := publish(t, ns, rev(2), map[string]string{"a.yaml": cm("kept", "2", "2"), "b.yaml": cm("fixed", "2", "2")})
	setArtifact(t, repo, b)
	readyAt(t, k, b.Revision)
	g.Expect(data("kept")).To(Equal(map[string]any{"key": "edited", "other": "2"}))
	g.Expect(data("fixed")).To(Equal(map[string]any{"key": "2", "other": "2"}))

	statuscheck.Update(t, env.Client, k, func(k *kustomizev1.Kustomization) { k.Spec.Ignore[0].Paths = []string{"data/key"} })
	statuscheck.Stalled(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `invalid spec.ignore: failed to parse ignore rule 0: invalid JSON pointer "data/key": it must start with /`)
}
