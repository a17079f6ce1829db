package helmrelease

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// unschedulable makes the chart's pods wait for a node that never comes.
const unschedulable = `"nodeSelector":{"ferry.test/none":"true"}`

// seconds returns a duration of n seconds for a spec.
func seconds(n int) *metav1.Duration {
	return &metav1.Duration{Duration: time.Duration(n) * time.Second}
}

// exists reports whether the object of obj's type named name is in namespace ns.
func exists(g Gomega, ns, name string, obj client.Object) bool {
	err := k8s.Get(context.Background(), key(ns, name), obj)
	g.Expect(client.IgnoreNotFound(err)).To(Succeed())
	return err == nil
}

func TestHooksDisabled(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true
	hook := func(event string) bool { return exists(g, ns, "hooked-"+event, &corev1.ConfigMap{}) }

	hr := newRelease(ns, "hooked", "app", `{"hooks":true}`)
	hr.Spec.Install = &helmv2.Install{DisableHooks: true}
	hr.Spec.Upgrade = &helmv2.Upgrade{DisableHooks: true, Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	hr.Spec.Rollback = &helmv2.Rollback{DisableHooks: true}
	hr.Spec.Uninstall = &helmv2.Uninstall{DisableHooks: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	g.Expect(hook("post-install")).To(BeFalse())

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"hooks":true,"message":"two"}`) })
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)
	g.Expect(hook("post-upgrade")).To(BeFalse())

	// A Job that never completes fails the upgrade, which is rolled back without hooks.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade.Timeout = seconds(2)
		o.Spec.Values = jsonValues(`{"hooks":true,"message":"two","job":true}`)
	})
	waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionTrue, helmv2.RollbackSucceededReason)
	g.Expect(hook("post-rollback")).To(BeFalse())

	// With hooks again, the next upgrade runs its hook.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = nil
		o.Spec.Values = jsonValues(`{"hooks":true,"message":"three"}`)
	})
	g.Eventually(func() bool { return hook("post-upgrade") }, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue())
	statuscheck.Ready(t, k8s, hr)

	deleteAndWait(t, hr)
	g.Expect(hook("pre-delete")).To(BeFalse())
}

func TestWaitDisabled(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	// Pods that never run and a Job that never completes: without waiting, both are released.
	hr := newRelease(ns, "nowait", "app", `{`+unschedulable+`,"job":true}`)
	hr.Spec.Timeout = seconds(2)
	hr.Spec.WaitStrategy = &helmv2.WaitStrategy{Name: helmv2.WaitStrategyPoller}
	hr.Spec.Install = &helmv2.Install{DisableWait: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{` + unschedulable + `,"job":true,"message":"two"}`)
		o.Spec.Upgrade = &helmv2.Upgrade{DisableWait: true}
	})
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)

	// Pods that run: only the Job is not waited for.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"job":true,"message":"three"}`)
		o.Spec.Upgrade = &helmv2.Upgrade{DisableWaitForJobs: true, Timeout: seconds(60)}
	})
	waitVersion(t, hr, 3)
	statuscheck.Ready(t, k8s, hr)

	// With the waits, the Job fails the upgrade after spec.timeout, as kstatus (the poller) sees
	// it. New values the templates do not use leave the Deployment as it is.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"job":true,"message":"three","checked":4}`)
		o.Spec.Upgrade = nil
	})
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	msg := conditions.Get(got, fluxmeta.ReadyCondition).Message
	g.Expect(msg).To(ContainSubstring("timed out waiting for 1 object(s) to become Current: Job/" + ns + "/nowait-job"))

	// install.disableWaitForJobs: the Job of a new release is not waited for either.
	jobs := newRelease(ns, "jobs", "app", `{"job":true}`)
	jobs.Spec.Timeout = seconds(2)
	jobs.Spec.Install = &helmv2.Install{DisableWaitForJobs: true, Timeout: seconds(60)}
	g.Expect(k8s.Create(ctx, jobs)).To(Succeed())
	statuscheck.Ready(t, k8s, jobs)
}

func TestRollbackWaits(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true

	// Revision 1 never becomes ready; it is released without waiting.
	hr := newRelease(ns, "rbwait", "app", `{`+unschedulable+`}`)
	hr.Spec.Install = &helmv2.Install{DisableWait: true}
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	hr.Spec.Rollback = &helmv2.Rollback{Timeout: seconds(2)}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// The failed upgrade is rolled back to it: waiting, the rollback times out.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{` + unschedulable + `,"message":"two"}`) })
	got := waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionFalse, helmv2.RollbackFailedReason)
	g.Expect(conditions.Get(got, helmv2.RemediatedCondition).Message).To(ContainSubstring("timed out waiting"))

	// Not waiting, it succeeds.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Rollback.DisableWait = true
		o.Spec.Values = jsonValues(`{` + unschedulable + `,"message":"three"}`)
	})
	waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionTrue, helmv2.RollbackSucceededReason)

	// rollback.disableWaitForJobs: a revision whose Job never completes is rolled back to. New
	// values the templates do not use leave the Deployment as it is, ready.
	jobs := newRelease(ns, "rbjobs", "app", `{"job":true}`)
	jobs.Spec.Install = &helmv2.Install{DisableWaitForJobs: true}
	jobs.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	jobs.Spec.Rollback = &helmv2.Rollback{Timeout: seconds(2), DisableWaitForJobs: true}
	g.Expect(k8s.Create(ctx, jobs)).To(Succeed())
	statuscheck.Ready(t, k8s, jobs)
	statuscheck.Update(t, k8s, jobs, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"job":true,"checked":2}`) })
	waitCondition(t, jobs, helmv2.RemediatedCondition, metav1.ConditionTrue, helmv2.RollbackSucceededReason)
}

func TestRollbackCleanupOnFail(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true

	hr := newRelease(ns, "rbclean", "app", `{"serviceAccount":true,"configMap":true}`)
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	hr.Spec.Rollback = &helmv2.Rollback{CleanupOnFail: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// Revision 2 drops the ServiceAccount, makes the ConfigMap immutable and never becomes
	// ready. The rollback recreates the ServiceAccount, then cannot make the ConfigMap mutable
	// again: it fails and deletes what it created.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"configMap":true,"configMapImmutable":true,` + unschedulable + `}`)
	})
	got := waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionFalse, helmv2.RollbackFailedReason)
	g.Expect(conditions.Get(got, helmv2.RemediatedCondition).Message).To(ContainSubstring("immutable"))
	g.Expect(exists(g, ns, "rbclean-sa", &corev1.ServiceAccount{})).To(BeFalse())
}

func TestRollbackForceAndRecreate(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true

	// A release applied client-side throughout, rolled back with force (replace).
	no := false
	hr := newRelease(ns, "rbforce", "app", `{"configMap":true}`)
	hr.Spec.Install = &helmv2.Install{ServerSideApply: &no}
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes}}
	hr.Spec.Rollback = &helmv2.Rollback{Force: true, Recreate: true, ServerSideApply: helmv2.ServerSideApplyDisabled}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// A label set by hand survives patches; the pods run.
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "rbforce-config"), &cm)).To(Succeed())
	cm.Labels["by-hand"] = "yes"
	g.Expect(k8s.Update(ctx, &cm)).To(Succeed())
	var pods corev1.PodList
	g.Eventually(func() []corev1.Pod {
		g.Expect(k8s.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app": "rbforce"})).To(Succeed())
		return pods.Items
	}, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	before := pods.Items

	// A Job that never completes fails the upgrade (which leaves the Deployment and the
	// ConfigMap as they are). The rollback replaces the objects (force), which drops the
	// label, and deletes the pods to have them created again (recreate).
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"configMap":true,"job":true}`) })
	waitCondition(t, hr, helmv2.RemediatedCondition, metav1.ConditionTrue, helmv2.RollbackSucceededReason)
	g.Expect(k8s.Get(ctx, key(ns, "rbforce-config"), &cm)).To(Succeed())
	g.Expect(cm.Labels).NotTo(HaveKey("by-hand"))
	expectClientSideApplied(g, cm.ManagedFields)
	for _, p := range before {
		var cur corev1.Pod
		err := k8s.Get(ctx, key(ns, p.Name), &cur)
		g.Expect(apierrors.IsNotFound(err) || cur.UID != p.UID || cur.DeletionTimestamp != nil).To(BeTrue(), "pod %s was not recreated", p.Name)
	}
}

// expectClientSideApplied fails unless every field manager of an object updated it
// client-side.
func expectClientSideApplied(g Gomega, fields []metav1.ManagedFieldsEntry) {
	g.Expect(fields).NotTo(BeEmpty())
	for _, f := range fields {
		g.Expect(f.Operation).To(Equal(metav1.ManagedFieldsOperationUpdate), "field manager %s", f.Manager)
	}
}

func TestClientSideApply(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	no := false

	hr := newRelease(ns, "csa", "app", "")
	hr.Spec.Install = &helmv2.Install{ServerSideApply: &no}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	for i, mode := range []helmv2.ServerSideApplyMode{helmv2.ServerSideApplyDisabled, helmv2.ServerSideApplyAuto} {
		statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
			o.Spec.Upgrade = &helmv2.Upgrade{ServerSideApply: mode}
			o.Spec.Values = jsonValues(`{"message":"` + string(mode) + `"}`)
		})
		waitVersion(t, hr, i+2)
		statuscheck.Ready(t, k8s, hr)
	}
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "csa"), &dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Annotations["message"]).To(Equal("auto"))
	expectClientSideApplied(g, dep.ManagedFields)
}

func TestUpgradeOptions(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "up", "app", `{"configMap":true,"replicaCount":2}`)
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// force: the ConfigMap is replaced, which drops a label set by hand.
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "up-config"), &cm)).To(Succeed())
	cm.Labels["by-hand"] = "yes"
	g.Expect(k8s.Update(ctx, &cm)).To(Succeed())
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = &helmv2.Upgrade{Force: true}
		o.Spec.Values = jsonValues(`{"configMap":true,"replicaCount":2,"message":"two"}`)
	})
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, key(ns, "up-config"), &cm)).To(Succeed())
	g.Expect(cm.Labels).NotTo(HaveKey("by-hand"))

	// preserveValues: the values of the last release are kept under the new ones.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = &helmv2.Upgrade{PreserveValues: true}
		o.Spec.Values = jsonValues(`{"message":"three"}`)
	})
	g.Eventually(func() string {
		g.Expect(k8s.Get(ctx, key(ns, "up-config"), &cm)).To(Succeed())
		return cm.Data["message"]
	}, testenv.RolloutTimeout, testenv.Interval).Should(Equal("three"))
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "up"), &dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(2)))

	// cleanupOnFail: what the failed upgrade created is deleted.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = &helmv2.Upgrade{CleanupOnFail: true, Timeout: seconds(2)}
		o.Spec.Values = jsonValues(`{"configMap":true,"serviceAccount":true,` + unschedulable + `}`)
	})
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, helmv2.ReleasedCondition).Reason).To(Equal(helmv2.UpgradeFailedReason))
	g.Expect(exists(g, ns, "up-sa", &corev1.ServiceAccount{})).To(BeFalse())
}

func TestTakeOwnership(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	unowned := func(obj client.Object, name string) {
		obj.SetNamespace(ns)
		obj.SetName(name)
		g.Expect(k8s.Create(ctx, obj)).To(Succeed())
	}
	conflict := "exists and cannot be imported into the current release"

	// The Service exists without Helm's ownership: disableTakeOwnership refuses to adopt it.
	unowned(&corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, "owned")
	hr := newRelease(ns, "owned", "app", "")
	hr.Spec.Install = &helmv2.Install{DisableTakeOwnership: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(conflict))
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Install = nil })
	statuscheck.Ready(t, k8s, hr)
	var svc corev1.Service
	g.Expect(k8s.Get(ctx, key(ns, "owned"), &svc)).To(Succeed())
	g.Expect(svc.Annotations).To(HaveKeyWithValue("meta.helm.sh/release-name", "owned"))

	// The same on upgrade, for a ConfigMap the new revision adds.
	unowned(&corev1.ConfigMap{}, "owned-config")
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = &helmv2.Upgrade{DisableTakeOwnership: true}
		o.Spec.Values = jsonValues(`{"configMap":true}`)
	})
	got = statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(conflict))
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Upgrade = nil })
	statuscheck.Ready(t, k8s, hr)
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "owned-config"), &cm)).To(Succeed())
	g.Expect(cm.Data["message"]).To(Equal("hello"))
}

func TestValidationDisabled(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	// The chart's schema wants an integer; without schema validation a string passes.
	hr := newRelease(ns, "lax", "app", `{"checked":"one"}`)
	hr.Spec.Install = &helmv2.Install{DisableSchemaValidation: true, DisableOpenAPIValidation: true}
	hr.Spec.Upgrade = &helmv2.Upgrade{DisableSchemaValidation: true, DisableOpenAPIValidation: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"checked":"two"}`) })
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Upgrade = nil
		o.Spec.Values = jsonValues(`{"checked":"three"}`)
	})
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("values don't meet the specifications of the schema"))
}

func TestUninstallOptions(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	// keepHistory and orphan: the revisions stay, marked uninstalled, and so do the
	// Deployment's ReplicaSets.
	hr := newRelease(ns, "orphans", "app", "")
	orphan := "orphan"
	hr.Spec.Uninstall = &helmv2.Uninstall{KeepHistory: true, DeletionPropagation: &orphan}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	var sets appsv1.ReplicaSetList
	listSets := func() []appsv1.ReplicaSet {
		g.Expect(k8s.List(ctx, &sets, client.InNamespace(ns), client.MatchingLabels{"app": "orphans"})).To(Succeed())
		return sets.Items
	}
	g.Eventually(listSets, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	deleteAndWait(t, hr)
	g.Eventually(func() bool { return exists(g, ns, "orphans", &appsv1.Deployment{}) }, testenv.Timeout, testenv.Interval).Should(BeFalse())
	g.Eventually(func() []metav1.OwnerReference {
		g.Expect(listSets()).NotTo(BeEmpty())
		return sets.Items[0].OwnerReferences
	}, testenv.Timeout, testenv.Interval).Should(BeEmpty())
	secrets := releaseSecrets(g, ns, "orphans")
	g.Expect(secrets).To(HaveLen(1))
	g.Expect(secrets[0].Labels["status"]).To(Equal("uninstalled"))

	// A ConfigMap held by a finalizer is never deleted: waiting, the uninstall fails after
	// uninstall.timeout; not waiting, it succeeds.
	held := []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Patches: []fluxmeta.Patch{{
		Target: &fluxmeta.Selector{Kind: "ConfigMap"},
		Patch:  `[{"op":"add","path":"/metadata/finalizers","value":["ferry.test/hold"]}]`,
	}}}}}
	for _, tt := range []struct {
		name   string
		u      helmv2.Uninstall
		failed bool
	}{
		{"waited", helmv2.Uninstall{Timeout: seconds(2)}, true},
		{"unwaited", helmv2.Uninstall{DisableWait: true}, false},
	} {
		hr := newRelease(ns, tt.name, "app", `{"configMap":true}`)
		hr.Spec.PostRenderers = held
		hr.Spec.Uninstall = &tt.u
		g.Expect(k8s.Create(ctx, hr)).To(Succeed())
		statuscheck.Ready(t, k8s, hr)
		deleteAndWait(t, hr)
		if tt.failed {
			g.Eventually(func() bool { return deletionFailed(t, g, ns, tt.name) }, testenv.Timeout, testenv.Interval).Should(BeTrue())
		} else {
			g.Expect(deletionFailed(t, g, ns, tt.name)).To(BeFalse())
		}
		releaseFinalizer(g, ns, tt.name+"-config")
	}
}

// deletionFailed reports whether the HelmRelease name got a DeletionFailed event for an
// uninstall that timed out.
func deletionFailed(t *testing.T, g Gomega, ns, name string) bool {
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	events := statuscheck.Events(t, k8s, hr, helmv2.HelmReleaseKind, fluxmeta.DeletionFailedReason)
	for _, e := range events {
		g.Expect(e).To(ContainSubstring("uninstallation completed with 1 error(s)"))
	}
	return len(events) > 0
}

// releaseFinalizer removes the finalizers of a ConfigMap, which then goes.
func releaseFinalizer(g Gomega, ns, name string) {
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
	g.Expect(k8s.Patch(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, patch)).To(Succeed())
}
