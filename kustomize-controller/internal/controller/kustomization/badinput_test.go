package kustomization

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestBadInput applies a good revision, then a bad one: each must leave Ready=False with a
// reason and a message a user understands, and lose nothing already applied.
func TestBadInput(t *testing.T) {
	good := map[string]string{"app/keep.yaml": configMap("keep", "1")}
	tests := []struct {
		name    string
		files   map[string]string
		mutate  func(k *kustomizev1.Kustomization)
		reason  string
		message []string
	}{{
		name:    "invalid YAML names the file in the source",
		files:   map[string]string{"app/keep.yaml": configMap("keep", "1"), "app/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n"},
		reason:  fluxmeta.BuildFailedReason,
		message: []string{"app/broken.yaml"},
	}, {
		name: "kustomize build error",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"),
			"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [keep.yaml, missing.yaml]\n"},
		reason:  fluxmeta.BuildFailedReason,
		message: []string{"missing.yaml"},
	}, {
		name: "unknown kind without its CRD",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"),
			"app/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"},
		reason:  fluxmeta.ReconciliationFailedReason,
		message: []string{"no matches for kind", "Widget"},
	}, {
		name:    "spec.path missing from the new revision is ArtifactFailed, as in Flux",
		files:   map[string]string{"elsewhere/keep.yaml": configMap("keep", "1")},
		reason:  fluxmeta.ArtifactFailedReason,
		message: []string{`path "./app" does not exist in the source`},
	}, {
		name:    "same object twice in the build",
		files:   map[string]string{"app/keep.yaml": configMap("keep", "1"), "app/again.yaml": configMap("keep", "2")},
		reason:  fluxmeta.BuildFailedReason,
		message: []string{"keep"},
	}, {
		name:    "forbidden under impersonation",
		files:   map[string]string{"app/keep.yaml": configMap("keep", "2")},
		mutate:  func(k *kustomizev1.Kustomization) { k.Spec.ServiceAccountName = "no-rights" },
		reason:  fluxmeta.ReconciliationFailedReason,
		message: []string{"forbidden", "system:serviceaccount:"},
	}, {
		name: "invalid object rejected by the dry run applies nothing",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"), "app/a.yaml": configMap("new", "1"),
			"app/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports: [{port: 99999}]\n"},
		reason:  fluxmeta.ReconciliationFailedReason,
		message: []string{"Service/", "bad"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, env.Client)
			rev1 := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 1), good)
			repo := gitRepository(t, ns, "repo", &rev1)
			k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
				k.Spec.Path = "./app"
				k.Spec.TargetNamespace = ns
			})
			before := readyAt(t, k, rev1.Revision)
			if tt.mutate != nil {
				statuscheck.Update(t, env.Client, k, tt.mutate)
			}
			rev2 := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 2), tt.files)
			setArtifact(t, repo, rev2)

			after := statuscheck.Wait(t, env.Client, k, func(g Gomega, cur *kustomizev1.Kustomization) {
				g.Expect(cur.Status.LastAttemptedRevision).To(Equal(rev2.Revision))
				g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition)).To(And(
					HaveField("Status", metav1.ConditionFalse), HaveField("Reason", tt.reason)))
			})
			msg := readyMessage(after)
			for _, want := range tt.message {
				g.Expect(msg).To(ContainSubstring(want))
			}
			g.Expect(msg).NotTo(ContainSubstring("/tmp/"), "messages name files in the source, not temporary paths")
			g.Expect(object(t, "v1", "ConfigMap", ns, "keep").Object["data"]).To(HaveKeyWithValue("key", "1"))
			g.Expect(object(t, "v1", "ConfigMap", ns, "new")).To(BeNil())
			g.Expect(after.Status.Inventory.Entries).To(ContainElements(before.Status.Inventory.Entries))
			g.Expect(after.Status.LastAppliedRevision).To(Equal(rev1.Revision))
			g.Expect(after.Status.LastAttemptedRevision).To(Equal(rev2.Revision))
		})
	}
}

// TestMissingSource waits, without an error, for a source that does not exist and then for
// one without an artifact; both wake the Kustomization when they change.
func TestMissingSource(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	k := kustomization(t, ns, "app", "later", func(k *kustomizev1.Kustomization) { k.Spec.TargetNamespace = ns })
	cur := statuscheck.NotReady(t, env.Client, k, fluxmeta.ArtifactFailedReason, "not found")
	g.Expect(readyMessage(cur)).To(Equal("Source 'GitRepository/" + ns + "/later' not found"))
	g.Expect(cur.Status.Conditions).To(ContainElement(HaveField("Type", fluxmeta.ReconcilingCondition)), "waiting, not stalled")
	g.Expect(cur.Status.Conditions).NotTo(ContainElement(HaveField("Type", fluxmeta.StalledCondition)))

	repo := gitRepository(t, ns, "later", nil)
	statuscheck.Wait(t, env.Client, k, func(g Gomega, cur *kustomizev1.Kustomization) {
		g.Expect(readyMessage(cur)).To(ContainSubstring("artifact not found"))
	})

	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 7), map[string]string{"cm.yaml": configMap("late", "1")})
	setArtifact(t, repo, a)
	readyAt(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "late")).NotTo(BeNil())
}
