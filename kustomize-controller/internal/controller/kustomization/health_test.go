package kustomization

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// deployment is a one-replica Deployment; extra is added to its pod spec.
func deployment(name, podExtra, specExtra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: 1
%s  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
%s      containers: [{name: app, image: "nginx:1"}]
`, name, specExtra, name, name, podExtra)
}

// unschedulable keeps the pods of a Deployment Pending.
const unschedulable = "      nodeSelector: {ferry.test/nowhere: \"true\"}\n"

func TestDeploymentNeverReady(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 1), map[string]string{
		"keep.yaml":  configMap("keep", "1"),
		"stuck.yaml": deployment("stuck", unschedulable, "  progressDeadlineSeconds: 2\n"),
	})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
	})
	cur := statuscheck.NotReady(t, env.Client, k, fluxmeta.HealthCheckFailedReason, "Deployment/"+ns+"/stuck")
	g.Expect(readyMessage(cur)).To(ContainSubstring("progress deadline"))
	healthy := conditions.Get(cur, kustomizev1.HealthyCondition)
	g.Expect(healthy).NotTo(BeNil())
	g.Expect(healthy.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(cur.Status.Inventory.Entries).To(HaveLen(2), "the applied objects are in the inventory")
	g.Expect(object(t, "v1", "ConfigMap", ns, "keep")).NotTo(BeNil())
	g.Eventually(func() []string {
		return statuscheck.Events(t, env.Client, k, kustomizev1.KustomizationKind, fluxmeta.HealthCheckFailedReason)
	}, testenv.Timeout, testenv.Interval).
		ShouldNot(BeEmpty())
}

// TestNewRevisionCancelsHealthCheck starts a health check that would wait five minutes and
// fixes the source: the new revision must be applied at once.
func TestNewRevisionCancelsHealthCheck(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 1), map[string]string{"web.yaml": deployment("web", unschedulable, "")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Timeout = &metav1.Duration{Duration: 5 * time.Minute}
	})
	g := NewWithT(t)
	g.Eventually(func() bool { return object(t, "apps/v1", "Deployment", ns, "web") != nil }, testenv.Timeout, testenv.Interval).Should(BeTrue())
	cur, err := statuscheck.Get(ctxT(t), env.Client, k)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(conditions.IsReady(cur)).To(BeFalse())

	fixed := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 2), map[string]string{"web.yaml": deployment("web", "", "")})
	setArtifact(t, repo, fixed)
	readyAt(t, k, fixed.Revision)
}

func TestHealthChecksAndExpressions(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	gate := func(v string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gate\ndata:\n  ready: %q\n", v)
	}
	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 1), map[string]string{
		"gate.yaml": gate("no"), "web.yaml": deployment("web", "", ""),
	})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.HealthChecks = []fluxmeta.NamespacedObjectKindReference{{Kind: "Deployment", Name: "web"}, {APIVersion: "v1", Kind: "ConfigMap", Name: "gate", Namespace: ns}}
		k.Spec.HealthCheckExprs = []fluxmeta.CustomHealthCheck{{
			APIVersion: "v1", Kind: "ConfigMap", Current: "data.ready == 'yes'", Failed: "data.ready == 'no'",
		}}
	})
	statuscheck.NotReady(t, env.Client, k, fluxmeta.HealthCheckFailedReason, "ConfigMap/"+ns+"/gate")

	b := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 2), map[string]string{
		"gate.yaml": gate("yes"), "web.yaml": deployment("web", "", ""),
	})
	setArtifact(t, repo, b)
	cur := readyAt(t, k, b.Revision)
	g.Expect(conditions.IsTrue(cur, kustomizev1.HealthyCondition)).To(BeTrue())
	d := object(t, "apps/v1", "Deployment", ns, "web")
	g.Expect(d.Object["status"]).To(HaveKeyWithValue("availableReplicas", BeNumerically("==", 1)), "Ready only once the Deployment is available")
}

// TestHealthCheckTimeout: an object its inProgress expression holds in progress (inProgress
// is evaluated before failed, which is also true here) is waited for until spec.timeout.
func TestHealthCheckTimeout(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, "main@sha1:"+fmt.Sprintf("%040d", 1), map[string]string{
		"gate.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gate\ndata:\n  ready: pending\n",
	})
	repo := gitRepository(t, ns, "repo", &a)
	start := time.Now()
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Timeout = &metav1.Duration{Duration: 30 * time.Second}
		k.Spec.HealthCheckExprs = []fluxmeta.CustomHealthCheck{{
			APIVersion: "v1", Kind: "ConfigMap",
			InProgress: "data.ready == 'pending'", Failed: "data.ready != 'yes'", Current: "data.ready == 'yes'",
		}}
	})
	cur := statuscheck.NotReady(t, env.Client, k, fluxmeta.HealthCheckFailedReason, "timed out")
	g.Expect(readyMessage(cur)).To(ContainSubstring("ConfigMap/" + ns + "/gate"))
	g.Expect(time.Since(start)).To(BeNumerically(">=", 29*time.Second), "waited for spec.timeout")
}

// TestHealthWaitShowsProgress: while the health check of a new revision waits for a
// Deployment, the Kustomization shows Reconciling=True and Ready=Unknown (reason Progressing,
// message naming the revision) instead of the Ready=True of the previous revision; once the
// Deployment is available it is Ready at the new revision.
func TestHealthWaitShowsProgress(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Timeout = &metav1.Duration{Duration: 5 * time.Minute}
	})
	readyAt(t, k, a.Revision)

	b := publish(t, ns, rev(2), map[string]string{"cm.yaml": configMap("cm", "1"), "web.yaml": deployment("web", unschedulable, "")})
	setArtifact(t, repo, b)
	cur := statuscheck.Wait(t, env.Client, k, func(g Gomega, cur *kustomizev1.Kustomization) {
		for _, typ := range []string{fluxmeta.ReconcilingCondition, fluxmeta.ReadyCondition, kustomizev1.HealthyCondition} {
			c := conditions.Get(cur, typ)
			g.Expect(c).NotTo(BeNil(), typ)
			g.Expect(c.Reason).To(Equal(fluxmeta.ProgressingReason), typ)
			g.Expect(c.Message).To(ContainSubstring("revision "+b.Revision), typ)
		}
		g.Expect(conditions.Get(cur, fluxmeta.ReconcilingCondition).Status).To(Equal(metav1.ConditionTrue))
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition).Status).To(Equal(metav1.ConditionUnknown))
	})
	g.Expect(cur.Status.LastAppliedRevision).To(Equal(a.Revision), "the new revision is recorded once healthy")
	available, _, _ := unstructured.NestedInt64(object(t, "apps/v1", "Deployment", ns, "web").Object, "status", "availableReplicas")
	g.Expect(available).To(BeZero(), "the Deployment is not available yet")

	// Its pods may run anywhere now: the Deployment becomes available.
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	unpin := client.RawPatch(types.JSONPatchType, []byte(`[{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]`))
	g.Expect(env.Client.Patch(ctxT(t), d, unpin)).To(Succeed())
	cur = readyAt(t, k, b.Revision)
	g.Expect(conditions.IsTrue(cur, kustomizev1.HealthyCondition)).To(BeTrue())
}

// TestDeletionCancelsHealthWait: deleting a Kustomization whose health check waits (here on a
// Deployment that never becomes available, with a 10-minute timeout) cancels the check at
// once: the deletion does not wait for spec.timeout, and the objects are pruned.
func TestDeletionCancelsHealthWait(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Wait = true
		k.Spec.Timeout = &metav1.Duration{Duration: 10 * time.Minute}
	})
	readyAt(t, k, a.Revision)
	b := publish(t, ns, rev(2), map[string]string{"cm.yaml": configMap("cm", "1"), "web.yaml": deployment("web", unschedulable, "")})
	setArtifact(t, repo, b)
	statuscheck.Wait(t, env.Client, k, func(g Gomega, cur *kustomizev1.Kustomization) {
		g.Expect(conditions.IsTrue(cur, fluxmeta.ReconcilingCondition)).To(BeTrue())
		g.Expect(conditions.Get(cur, kustomizev1.HealthyCondition)).NotTo(BeNil())
		g.Expect(conditions.Get(cur, kustomizev1.HealthyCondition).Reason).To(Equal(fluxmeta.ProgressingReason))
	})
	g.Expect(object(t, "apps/v1", "Deployment", ns, "web")).NotTo(BeNil())

	g.Expect(env.Client.Delete(ctxT(t), k)).To(Succeed())
	// testenv.Timeout (20 s) is far below the health check's 10 minutes.
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(k), &kustomizev1.Kustomization{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), "the Kustomization is gone before its health check would have timed out")
	g.Expect(object(t, "apps/v1", "Deployment", ns, "web")).To(BeNil(), "its objects are pruned")
	g.Expect(object(t, "v1", "ConfigMap", ns, "cm")).To(BeNil(), "its objects are pruned")
}
