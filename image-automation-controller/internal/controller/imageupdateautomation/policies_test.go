package imageupdateautomation

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestPolicySelectorAndSkippedMarkers: only the policies the selector takes are applied, and
// only below spec.update.path; markers naming a selected policy that is not Ready, or a
// policy that does not exist, are skipped and reported in the Ready message; markers of
// policies the selector leaves out, or of another namespace, are not this automation's.
// A policy becoming Ready wakes the automation.
func TestPolicySelectorAndSkippedMarkers(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.repos.Commit(t, "repo", "main", "apps", map[string]string{
		"apps/a.yaml":       marked(f.ns, "app", "ghcr.io/org/app:1.0.0"),
		"apps/b.yaml":       marked(f.ns, "other", "ghcr.io/org/other:1.0.0"),
		"apps/c.yaml":       marked(f.ns, "broken", "ghcr.io/org/broken:1.0.0"),
		"apps/d.yaml":       marked(f.ns, "missing", "ghcr.io/org/missing:1.0.0"),
		"apps/e.yaml":       marked("elsewhere", "app", "ghcr.io/org/app:1.0.0"),
		"outside/f.yaml":    marked(f.ns, "app", "ghcr.io/org/app:1.0.0"),
		"apps/chart/t.yaml": "image: {{ .Values.image }}\ntag: [ # {\"$imagepolicy\": \"" + f.ns + ":app:tag\"}\n",
	})
	team := map[string]string{"team": "a"}
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", team)
	f.policy(t, "other", "ghcr.io/org/other", "9.9.9", map[string]string{"team": "b"})
	broken := f.policy(t, "broken", "ghcr.io/org/broken", "1.1.0", team)
	elect(t, broken, nil)
	obj := f.automation("team-a", "./apps")
	obj.Spec.PolicySelector = &metav1.LabelSelector{MatchLabels: team,
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "c"}}}}
	create(t, obj)

	cur := pushed(t, obj, "")
	head := cur.Status.LastPushCommit
	g.Expect(f.show(t, head, "apps/a.yaml")).To(ContainSubstring("app:1.2.4 #"))
	for _, p := range []string{"apps/b.yaml", "apps/c.yaml", "apps/d.yaml", "apps/e.yaml", "outside/f.yaml"} {
		g.Expect(f.show(t, head, p)).To(ContainSubstring(":1.0.0 #"), p)
	}
	ready := conditions.Get(cur, fluxmeta.ReadyCondition).Message
	g.Expect(ready).To(Equal("repository up-to-date; 3 marker(s) skipped: " +
		"apps/c.yaml:8: " + f.ns + ":broken: ImagePolicy '" + f.ns + "/broken' is not Ready: no tag satisfies the policy; " +
		"apps/chart/t.yaml: the file does not parse as YAML: yaml: line 2: did not find expected node content; " +
		"apps/d.yaml:8: " + f.ns + ":missing: ImagePolicy '" + f.ns + "/missing' does not exist"))
	g.Expect(cur.Status.ObservedPolicies).To(HaveKey("app"))
	g.Expect(cur.Status.ObservedPolicies).NotTo(HaveKey("other"))

	elect(t, broken, &imagev1.ImageRef{Name: "ghcr.io/org/broken", Tag: "1.1.0"})
	cur = pushed(t, obj, head)
	g.Expect(f.show(t, cur.Status.LastPushCommit, "apps/c.yaml")).To(ContainSubstring("broken:1.1.0 #"))
	g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition).Message).NotTo(ContainSubstring("broken"))
}

// TestDeleteRemovesClone: the clone kept for an automation goes with it.
func TestDeleteRemovesClone(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, true)
	obj := f.automation("gone", "")
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(store.Exists(string(cur.UID))).To(BeTrue())
	g.Expect(k8s.Delete(context.Background(), cur)).To(Succeed())
	g.Eventually(func() bool { return store.Exists(string(cur.UID)) }, statuscheck.Timeout, testenv.Interval).Should(BeFalse())
}
