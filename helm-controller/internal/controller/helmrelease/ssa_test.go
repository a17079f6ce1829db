package helmrelease

import (
	"context"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// expectServerSideApplied fails unless the helm-controller field manager applied the object
// server-side and nothing updated it client-side (status subresources aside).
func expectServerSideApplied(g Gomega, obj metav1.Object) {
	ops := map[string][]metav1.ManagedFieldsOperationType{}
	for _, f := range obj.GetManagedFields() {
		if f.Subresource == "" {
			ops[f.Manager] = append(ops[f.Manager], f.Operation)
		}
	}
	g.Expect(ops).To(Equal(map[string][]metav1.ManagedFieldsOperationType{
		action.FieldManager: {metav1.ManagedFieldsOperationApply},
	}))
	g.Expect(obj.GetAnnotations()).NotTo(HaveKey(corev1.LastAppliedConfigAnnotation))
}

// expectReleaseMethod fails unless the storage Secret of the release's revision records method.
func expectReleaseMethod(g Gomega, ns, name string, version int, method string) {
	for _, s := range releaseSecrets(g, ns, name) {
		if s.Labels["version"] == strconv.Itoa(version) {
			g.Expect(s.Labels).To(HaveKeyWithValue(action.ApplyMethodLabel, method))
			return
		}
	}
	g.Expect(version).To(BeZero(), "no revision %d of release %s", version, name)
}

// TestServerSideApply: install serverSideApply true applies the release's objects server-side
// as helm-controller and records it on the release; an upgrade left at auto follows it; a
// failed upgrade with serverSideApply enabled is rolled back with serverSideApply enabled.
func TestServerSideApply(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true

	hr := newRelease(ns, "ssa", "app", `{"configMap":true}`)
	hr.Spec.Install = &helmv2.Install{ServerSideApply: &yes}
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	hr.Spec.Rollback = &helmv2.Rollback{ServerSideApply: helmv2.ServerSideApplyEnabled}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "ssa-config"), &cm)).To(Succeed())
	expectServerSideApplied(g, &cm)
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "ssa"), &dep)).To(Succeed())
	expectServerSideApplied(g, &dep)
	expectReleaseMethod(g, ns, "ssa", 1, action.ApplyMethodServerSide)

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"configMap":true,"message":"two"}`) })
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, key(ns, "ssa-config"), &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("message", "two"))
	expectServerSideApplied(g, &cm)
	expectReleaseMethod(g, ns, "ssa", 2, action.ApplyMethodServerSide)

	// A Job that never completes fails the upgrade; the rollback to revision 2 applies
	// server-side and says so.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade.ServerSideApply = helmv2.ServerSideApplyEnabled
		o.Spec.Values = jsonValues(`{"configMap":true,"message":"three","job":true}`)
	})
	waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionTrue, helmv2.RollbackSucceededReason)
	g.Expect(k8s.Get(ctx, key(ns, "ssa-config"), &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("message", "two"))
	expectServerSideApplied(g, &cm)
	expectReleaseMethod(g, ns, "ssa", 3, action.ApplyMethodServerSide)
	expectReleaseMethod(g, ns, "ssa", 4, action.ApplyMethodServerSide)
}
