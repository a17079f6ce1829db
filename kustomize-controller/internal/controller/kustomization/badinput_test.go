package kustomization

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/api/meta"
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
		reason:  meta.BuildFailedReason,
		message: []string{"app/broken.yaml"},
	}, {
		name: "kustomize build error",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"),
			"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [keep.yaml, missing.yaml]\n"},
		reason:  meta.BuildFailedReason,
		message: []string{"missing.yaml"},
	}, {
		name: "unknown kind without its CRD",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"),
			"app/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"},
		reason:  meta.ReconciliationFailedReason,
		message: []string{"no matches for kind", "Widget"},
	}, {
		name:    "spec.path missing from the new revision is ArtifactFailed, as in Flux",
		files:   map[string]string{"elsewhere/keep.yaml": configMap("keep", "1")},
		reason:  meta.ArtifactFailedReason,
		message: []string{`path "./app" does not exist in the source`},
	}, {
		name:    "same object twice in the build",
		files:   map[string]string{"app/keep.yaml": configMap("keep", "1"), "app/again.yaml": configMap("keep", "2")},
		reason:  meta.BuildFailedReason,
		message: []string{"keep"},
	}, {
		name:    "forbidden under impersonation",
		files:   map[string]string{"app/keep.yaml": configMap("keep", "2")},
		mutate:  func(k *kustomizev1.Kustomization) { k.Spec.ServiceAccountName = "no-rights" },
		reason:  meta.ReconciliationFailedReason,
		message: []string{"forbidden", "system:serviceaccount:"},
	}, {
		name: "invalid object rejected by the dry run applies nothing",
		files: map[string]string{"app/keep.yaml": configMap("keep", "1"), "app/a.yaml": configMap("new", "1"),
			"app/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports: [{port: 99999}]\n"},
		reason:  meta.ReconciliationFailedReason,
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
			before := waitReady(t, k, rev1.Revision)
			if tt.mutate != nil {
				cur := get(t, k)
				tt.mutate(cur)
				g.Expect(env.Client.Update(ctxT(t), cur)).To(Succeed())
			}
			rev2 := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 2), tt.files)
			setArtifact(t, repo, rev2)

			g.Eventually(func() string { return get(t, k).Status.LastAttemptedRevision }, testenv.Timeout, testenv.Interval).
				Should(Equal(rev2.Revision))
			msg := waitNotReady(t, k, tt.reason)
			for _, want := range tt.message {
				g.Expect(msg).To(ContainSubstring(want))
			}
			g.Expect(msg).NotTo(ContainSubstring("/tmp/"), "messages name files in the source, not temporary paths")
			g.Expect(object(t, "v1", "ConfigMap", ns, "keep").Object["data"]).To(HaveKeyWithValue("key", "1"))
			g.Expect(object(t, "v1", "ConfigMap", ns, "new")).To(BeNil())
			after := get(t, k)
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
	msg := waitNotReady(t, k, meta.ArtifactFailedReason)
	g.Expect(msg).To(Equal("Source 'GitRepository/" + ns + "/later' not found"))
	cur := get(t, k)
	g.Expect(cur.Status.Conditions).To(ContainElement(HaveField("Type", meta.ReconcilingCondition)), "waiting, not stalled")
	g.Expect(cur.Status.Conditions).NotTo(ContainElement(HaveField("Type", meta.StalledCondition)))

	repo := gitRepository(t, ns, "later", nil)
	g.Eventually(func() string {
		c := get(t, k)
		for _, cond := range c.Status.Conditions {
			if cond.Type == meta.ReadyCondition {
				return cond.Message
			}
		}
		return ""
	}, testenv.Timeout, testenv.Interval).Should(ContainSubstring("artifact not found"))
	checkInvariants(t, get(t, k))

	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 7), map[string]string{"cm.yaml": configMap("late", "1")})
	setArtifact(t, repo, a)
	waitReady(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "late")).NotTo(BeNil())
}
