package kustomization

import (
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// seedApp reads seed 003's Deployment from the example repository, with its replicas.
func seedApp(t *testing.T, replicas string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/seed-003/my-app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), "replicas: 2", "replicas: "+replicas, 1)
}

func replicas(t *testing.T, ns string) int64 {
	d := object(t, "apps/v1", "Deployment", ns, "my-app")
	if d == nil {
		return -1
	}
	n, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
	return n
}

// TestSeedScenario follows seed 003: a plain Deployment (no kustomization.yaml) applied and
// waited for; replicas 2 → 3 in a new revision; a manual scale reverted on the next interval;
// a file removed from the source pruned.
func TestSeedScenario(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	rev1 := publish(t, "seed", "main@sha1:1111111111111111111111111111111111111111", map[string]string{
		"apps/my-app/my-app.yaml": seedApp(t, "2"),
		"apps/my-app/config.yaml": configMap("my-config", "v1"),
	})
	repo := gitRepository(t, ns, "flux-system", &rev1)
	k := kustomization(t, ns, "my-apps", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.Path = "./apps/my-app"
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Interval = metav1.Duration{Duration: 3 * time.Second}
	})

	cur := readyAt(t, k, rev1.Revision)
	g.Expect(replicas(t, ns)).To(Equal(int64(2)))
	g.Expect(cur.Status.LastAttemptedRevision).To(Equal(rev1.Revision))
	g.Expect(cur.Status.Inventory.Entries).To(ConsistOf(
		invRef(ns+"_my-app_apps_Deployment", "v1"),
		invRef(ns+"_my-config__ConfigMap", "v1"),
	))
	g.Expect(cur.Status.Conditions).To(ContainElement(HaveField("Type", kustomizev1.HealthyCondition)))
	d := object(t, "apps/v1", "Deployment", ns, "my-app")
	g.Expect(d.GetLabels()).To(HaveKeyWithValue(kustomizev1.NameLabel, "my-apps"))
	g.Eventually(func() []string {
		return statuscheck.Events(t, env.Client, k, kustomizev1.KustomizationKind, fluxmeta.ReconciliationSucceededReason)
	}, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("Deployment/" + ns + "/my-app created")))

	// Replicas 2 → 3 in a new revision.
	rev2 := publish(t, "seed", "main@sha1:2222222222222222222222222222222222222222", map[string]string{
		"apps/my-app/my-app.yaml": seedApp(t, "3"),
		"apps/my-app/config.yaml": configMap("my-config", "v1"),
	})
	setArtifact(t, repo, rev2)
	readyAt(t, k, rev2.Revision)
	g.Expect(replicas(t, ns)).To(Equal(int64(3)))
	g.Eventually(func() []string {
		return statuscheck.Events(t, env.Client, k, kustomizev1.KustomizationKind, fluxmeta.ReconciliationSucceededReason)
	}, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("Deployment/" + ns + "/my-app configured")))

	// A manual scale is reverted on the next interval.
	d = object(t, "apps/v1", "Deployment", ns, "my-app")
	g.Expect(unstructured.SetNestedField(d.Object, int64(5), "spec", "replicas")).To(Succeed())
	g.Expect(env.Client.Update(ctxT(t), d)).To(Succeed())
	g.Eventually(func() int64 { return replicas(t, ns) }, testenv.Timeout, testenv.Interval).Should(Equal(int64(3)))

	// A file removed from the source is pruned.
	rev3 := publish(t, "seed", "main@sha1:3333333333333333333333333333333333333333", map[string]string{
		"apps/my-app/my-app.yaml": seedApp(t, "3"),
	})
	setArtifact(t, repo, rev3)
	cur = readyAt(t, k, rev3.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "my-config")).To(BeNil())
	g.Expect(cur.Status.Inventory.Entries).To(HaveLen(1))
	g.Eventually(func() []string {
		return statuscheck.Events(t, env.Client, k, kustomizev1.KustomizationKind, fluxmeta.ReconciliationSucceededReason)
	}, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("ConfigMap/" + ns + "/my-config deleted")))
}
