package helmrelease

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestUpgradeRemediatedByRollback(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "rb", "app", `{"message":"good"}`)
	yes := true
	hr.Spec.Upgrade = &helmv2.Upgrade{
		Timeout:     &metav1.Duration{Duration: 3 * time.Second},
		Remediation: &helmv2.UpgradeRemediation{RemediateLastFailure: &yes},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// Pods that can never be scheduled: the upgrade times out waiting, and is rolled back.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"message":"bad","nodeSelector":{"ferry.test/none":"true"}}`)
	})
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix("failed to upgrade after 1 attempt(s): "))
	remediated := conditions.Get(got, helmv2.RemediatedCondition)
	g.Expect(remediated).NotTo(BeNil())
	g.Expect(remediated.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(remediated.Reason).To(Equal(helmv2.RollbackSucceededReason))
	g.Expect(remediated.Message).To(Equal("Helm rollback to previous release " + ns + "/rb.v1 with chart app@0.1.0 succeeded"))
	g.Expect(conditions.Get(got, helmv2.ReleasedCondition).Reason).To(Equal(helmv2.UpgradeFailedReason))
	g.Expect(got.Status.UpgradeFailures).To(Equal(int64(1)))
	g.Expect(got.Status.LastAttemptedReleaseAction).To(Equal(helmv2.ReleaseActionUpgrade))
	latest := got.Status.History.Latest()
	g.Expect(latest.Version).To(Equal(3))
	g.Expect(latest.Status).To(Equal(helmv2.SnapshotStatusDeployed))
	g.Expect(latest.Action).To(Equal(helmv2.SnapshotActionRollback))
	g.Expect(got.Status.History.Previous(false).Action).To(Equal(string(helmv2.ReleaseActionInstall)))
	g.Expect(latest.ConfigDigest).To(Equal(got.Status.History.Previous(false).ConfigDigest))

	// A force request retries the upgrade although the retries are used up.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"message":"good again"}`)
	})
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.UpgradeFailures).To(BeZero())
	g.Expect(conditions.Get(got, helmv2.RemediatedCondition)).To(BeNil())
	version := got.Status.History.Latest().Version
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: "f1", fluxmeta.ForceRequestAnnotation: "f1"}
	})
	waitVersion(t, hr, version+1)
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.LastHandledForceAt).To(Equal("f1"))
}

func TestHelmTests(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "tested", "app", `{"tests":{"job":true}}`)
	hr.Spec.Test = &helmv2.Test{Enable: true, Timeout: &metav1.Duration{Duration: time.Minute}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := waitCondition(t, hr, helmv2.TestSuccessCondition, metav1.ConditionTrue, helmv2.TestSucceededReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.TestSucceededReason))
	hooks := got.Status.History.Latest().GetTestHooks()
	g.Expect(hooks).To(HaveKey("tested-test-job"))
	g.Expect(hooks["tested-test-job"].Phase).To(Equal(helmv2.TestHookPhaseSucceeded))

	// A test hook that never completes fails the tests, which fails the upgrade.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"tests":{"pod":true}}`)
		o.Spec.Test.Timeout = &metav1.Duration{Duration: 3 * time.Second}
	})
	got = waitCondition(t, hr, helmv2.TestSuccessCondition, metav1.ConditionFalse, helmv2.TestFailedReason)
	got = statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(got.Status.UpgradeFailures).To(Equal(int64(1)))
	g.Expect(got.Status.History.Latest().HasTestInPhase(helmv2.TestHookPhaseFailed)).To(BeTrue())
	g.Expect(conditions.IsTrue(got, helmv2.ReleasedCondition)).To(BeTrue())

	// Ignored test failures leave the release Ready.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Test.IgnoreFailures = true })
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(conditions.Get(got, helmv2.TestSuccessCondition).Status).To(Equal(metav1.ConditionFalse))

	// Filters: the failing test is excluded, then only the passing one is selected.
	for i, f := range []helmv2.Filter{{Name: "tested-test-pod", Exclude: true}, {Name: "tested-test-job"}} {
		statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
			o.Spec.Values = jsonValues(fmt.Sprintf(`{"tests":{"job":true,"pod":true},"checked":%d}`, i))
			o.Spec.Test.IgnoreFailures = false
			o.Spec.Test.Filters = []helmv2.Filter{f}
		})
		got = waitCondition(t, hr, helmv2.TestSuccessCondition, metav1.ConditionTrue, helmv2.TestSucceededReason)
		hooks := got.Status.History.Latest().GetTestHooks()
		g.Expect(hooks).To(HaveKey("tested-test-job"))
		g.Expect(hooks).NotTo(HaveKey("tested-test-pod"))
	}
}

func TestInstallRemediatedByUninstall(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "never", "app", `{"nodeSelector":{"ferry.test/none":"true"}}`)
	hr.Spec.Install = &helmv2.Install{
		Timeout:     &metav1.Duration{Duration: 2 * time.Second},
		Remediation: &helmv2.InstallRemediation{Retries: 1},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// The first failure is uninstalled and retried; the second one uses up the retries and,
	// without remediateLastFailure, is left in place to be looked at.
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix("failed to install after 2 attempt(s): "))
	g.Expect(got.Status.InstallFailures).To(Equal(int64(2)))
	remediated := conditions.Get(got, helmv2.RemediatedCondition)
	g.Expect(remediated).NotTo(BeNil())
	g.Expect(remediated.Reason).To(Equal(helmv2.UninstallSucceededReason))
	g.Expect(got.Status.History.Latest().Status).To(Equal("failed"))
	g.Expect(releaseSecrets(g, ns, "never")).To(HaveLen(1))
}

func TestRetryOnFailure(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "retry", "app", `{"fail":true}`)
	hr.Spec.Install = &helmv2.Install{Strategy: &helmv2.ActionStrategy{
		Name: helmv2.ActionStrategyRetryOnFailure, RetryInterval: &metav1.Duration{Duration: time.Second}}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// Retried on its interval without limit, never stalled.
	got := statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.InstallFailures).To(BeNumerically(">=", 3))
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition)).To(HaveField("Status", metav1.ConditionFalse), "a failed attempt, not one in progress")
	})
	g.Expect(conditions.Get(got, fluxmeta.StalledCondition)).To(BeNil())
	g.Expect(conditions.IsTrue(got, fluxmeta.ReconcilingCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.InstallFailedReason))

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"fail":false}`) })
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.InstallFailures).To(BeZero())
}

func TestUpgradeRetryOnFailure(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "retryup", "app", "")
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: seconds(2), Strategy: &helmv2.ActionStrategy{
		Name: helmv2.ActionStrategyRetryOnFailure, RetryInterval: seconds(1)}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// A Job that never completes: the upgrade is retried on its interval, never remediated.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"job":true}`) })
	got := statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.UpgradeFailures).To(BeNumerically(">=", 2))
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition)).To(HaveField("Status", metav1.ConditionFalse), "a failed attempt, not one in progress")
	})
	g.Expect(conditions.Get(got, fluxmeta.StalledCondition)).To(BeNil())
	g.Expect(conditions.Get(got, helmv2.RemediatedCondition)).To(BeNil())

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = nil })
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.UpgradeFailures).To(BeZero())
}

func TestRemediationOptions(t *testing.T) {
	t.Parallel()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true
	uninstall := helmv2.UninstallRemediationStrategy
	tests := []struct {
		name        string
		install     *helmv2.Install
		upgrade     *helmv2.Upgrade
		values      string // of the upgrade; no upgrade when empty
		remediated  string // reason of Remediated
		failures    int64  // of the last action
		releaseKept bool   // whether the release is in the storage at the end
	}{{
		// The last failed install is uninstalled.
		name:    "remediate-last-install",
		install: &helmv2.Install{Timeout: seconds(2), Remediation: &helmv2.InstallRemediation{RemediateLastFailure: &yes}},
		values:  "", remediated: helmv2.UninstallSucceededReason, failures: 1,
	}, {
		// One retry: the failure is rolled back, the upgrade tried again, and rolled back again
		// (remediateLastFailure defaults to true with retries).
		name:    "retries",
		upgrade: &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{Retries: 1}},
		values:  `{"job":true}`, remediated: helmv2.RollbackSucceededReason, failures: 2, releaseKept: true,
	}, {
		name: "uninstall-strategy",
		upgrade: &helmv2.Upgrade{Timeout: seconds(2), Remediation: &helmv2.UpgradeRemediation{
			Strategy: &uninstall, RemediateLastFailure: &yes}},
		values: `{"job":true}`, remediated: helmv2.UninstallSucceededReason, failures: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			values := ""
			if tt.install != nil {
				values = `{` + unschedulable + `}`
			}
			hr := newRelease(ns, tt.name, "app", values)
			hr.Spec.Install, hr.Spec.Upgrade = tt.install, tt.upgrade
			g.Expect(k8s.Create(context.Background(), hr)).To(Succeed())
			if tt.values != "" {
				statuscheck.Ready(t, k8s, hr)
				statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(tt.values) })
			}
			got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
			g.Expect(conditions.Get(got, helmv2.RemediatedCondition).Reason).To(Equal(tt.remediated))
			g.Expect(got.Status.InstallFailures + got.Status.UpgradeFailures).To(Equal(tt.failures))
			g.Expect(len(releaseSecrets(g, ns, tt.name)) > 0).To(Equal(tt.releaseKept))
		})
	}
}

func TestIgnoreTestFailuresByRemediation(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	yes := true

	// The test never passes; the install and upgrade remediation settings ignore it.
	hr := newRelease(ns, "flaky", "app", `{"tests":{"pod":true}}`)
	hr.Spec.Test = &helmv2.Test{Enable: true, Timeout: seconds(2)}
	hr.Spec.Install = &helmv2.Install{Remediation: &helmv2.InstallRemediation{IgnoreTestFailures: &yes}}
	hr.Spec.Upgrade = &helmv2.Upgrade{Remediation: &helmv2.UpgradeRemediation{IgnoreTestFailures: &yes}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := waitCondition(t, hr, helmv2.TestSuccessCondition, metav1.ConditionFalse, helmv2.TestFailedReason)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	g.Expect(got.Status.InstallFailures).To(BeZero())

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"tests":{"pod":true},"checked":1}`) })
	waitVersion(t, hr, 2)
	got = waitCondition(t, hr, helmv2.TestSuccessCondition, metav1.ConditionFalse, helmv2.TestFailedReason)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	g.Expect(got.Status.UpgradeFailures).To(BeZero())
}
