package helmrelease

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// remediate undoes a failed install (uninstall) or upgrade (rollback to the previous
// successful release, or uninstall), and says so in the Remediated condition.
func (st *state) remediate(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], act helmv2.ReleaseAction) {
	obj := s.Obj
	rem := remediationOf(obj, act)
	if act == helmv2.ReleaseActionUpgrade && rem.GetStrategy() == helmv2.RollbackRemediationStrategy {
		st.rollback(ctx, s, rem.MustIgnoreTestFailures(obj.GetTest().IgnoreFailures))
		return
	}
	if cur, err := st.helm.LastRelease(obj.GetReleaseName()); err != nil || cur == nil {
		return // nothing was stored, so nothing to undo
	}
	latest := obj.Status.History.Latest()
	err := st.uninstall(ctx, s)
	if err != nil {
		msg := fmt.Sprintf("Helm uninstall failed for release %s: %s", latest.FullReleaseName(), err)
		conditions.MarkFalse(obj, helmv2.RemediatedCondition, helmv2.UninstallFailedReason, msg)
		s.Event(corev1.EventTypeWarning, helmv2.UninstallFailedReason, msg)
		return
	}
	msg := fmt.Sprintf("Helm uninstall succeeded for release %s with chart %s", latest.FullReleaseName(), latest.VersionedChartName())
	conditions.MarkTrue(obj, helmv2.RemediatedCondition, helmv2.UninstallSucceededReason, msg)
	s.Event(corev1.EventTypeNormal, helmv2.UninstallSucceededReason, msg)
}

// rollback rolls the release back to the newest earlier revision that was deployed.
func (st *state) rollback(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], ignoreTests bool) {
	obj := s.Obj
	prev := obj.Status.History.Previous(ignoreTests)
	if prev == nil {
		msg := "Helm rollback not possible: no previous successful release in the history"
		conditions.MarkFalse(obj, helmv2.RemediatedCondition, helmv2.RollbackFailedReason, msg)
		s.Event(corev1.EventTypeWarning, helmv2.RollbackFailedReason, msg)
		return
	}
	rb := obj.GetRollback()
	timeout := rb.GetTimeout(obj.GetTimeout()).Duration
	progressing(ctx, s, "rollback", timeout, fmt.Sprintf("to release %s with chart %s", prev.FullReleaseName(), prev.VersionedChartName()))
	err := st.helm.Rollback(ctx, obj.GetReleaseName(), action.RollbackOptions{
		Version:         prev.Version,
		Timeout:         timeout,
		Wait:            !rb.DisableWait,
		WaitForJobs:     !rb.DisableWaitForJobs,
		DisableHooks:    rb.DisableHooks,
		Recreate:        rb.Recreate,
		Force:           rb.Force,
		CleanupOnFail:   rb.CleanupOnFail,
		MaxHistory:      obj.GetMaxHistory(),
		ServerSideApply: rb.ServerSideApply,
	})
	cur, _ := st.helm.LastRelease(obj.GetReleaseName())
	st.refreshHistory(s, cur, helmv2.SnapshotActionRollback)
	if err != nil {
		msg := fmt.Sprintf("Helm rollback to previous release %s with chart %s failed: %s", prev.FullReleaseName(), prev.VersionedChartName(), err)
		conditions.MarkFalse(obj, helmv2.RemediatedCondition, helmv2.RollbackFailedReason, msg)
		s.Event(corev1.EventTypeWarning, helmv2.RollbackFailedReason, msg)
		return
	}
	msg := fmt.Sprintf("Helm rollback to previous release %s with chart %s succeeded", prev.FullReleaseName(), prev.VersionedChartName())
	conditions.MarkTrue(obj, helmv2.RemediatedCondition, helmv2.RollbackSucceededReason, msg)
	s.Event(corev1.EventTypeNormal, helmv2.RollbackSucceededReason, msg)
	if cur != nil {
		obj.Status.Inventory = inventoryOf(cur)
	}
}

// reinstall uninstalls the release and installs the chart anew, as a new chart name asks.
func (st *state) reinstall(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], why string) reconcile.Result {
	latest := s.Obj.Status.History.Latest()
	if err := st.uninstall(ctx, s); err != nil {
		return reconcile.Transient(helmv2.UninstallFailedReason, fmt.Errorf("failed to uninstall release for reinstall: %w", err))
	}
	s.Event(corev1.EventTypeNormal, helmv2.UninstallSucceededReason,
		fmt.Sprintf("Helm uninstall succeeded for release %s: %s", latest.FullReleaseName(), why))
	return st.install(ctx, s)
}

// uninstall uninstalls the release with the spec.uninstall settings and updates the history.
func (st *state) uninstall(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) error {
	obj := s.Obj
	opts := uninstallOptions(obj)
	latest := obj.Status.History.Latest()
	progressing(ctx, s, "uninstall", opts.Timeout, fmt.Sprintf("for release %s with chart %s", latest.FullReleaseName(), latest.VersionedChartName()))
	_, err := st.helm.Uninstall(ctx, obj.GetReleaseName(), opts)
	st.refreshHistory(s, nil, "")
	if err == nil {
		obj.Status.Inventory = nil
	}
	return err
}

// uninstallOptions are the spec.uninstall settings.
func uninstallOptions(obj *helmv2.HelmRelease) action.UninstallOptions {
	u := obj.GetUninstall()
	return action.UninstallOptions{
		Timeout:             u.GetTimeout(obj.GetTimeout()).Duration,
		Wait:                !u.DisableWait,
		DisableHooks:        u.DisableHooks,
		KeepHistory:         u.KeepHistory,
		DeletionPropagation: u.GetDeletionPropagation(),
	}
}

// refreshHistory brings the history up to date with the storage after an action, adding rel
// (the revision the action act made, when it made one).
func (st *state) refreshHistory(s *reconcile.Scope[*helmv2.HelmRelease], rel *release.Release, act string) {
	obj := s.Obj
	stored, err := st.helm.History(obj.GetReleaseName(), 0)
	if err != nil {
		s.Log.Error(err, "unable to read the release history")
		return
	}
	syncHistory(obj, stored)
	if rel != nil {
		snap := snapshotOf(rel, st.ociDigest)
		snap.Action = act
		upsertSnapshot(obj, snap)
	}
}

// upToDate reports a release that needs no action as Ready, recording its snapshot.
func (st *state) upToDate(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], cur *release.Release) reconcile.Result {
	obj := s.Obj
	upsertSnapshot(obj, snapshotOf(cur, st.ociDigest))
	if !conditions.IsTrue(obj, helmv2.ReleasedCondition) {
		reason, act := helmv2.UpgradeSucceededReason, helmv2.ReleaseActionUpgrade
		if cur.Version == 1 {
			reason, act = helmv2.InstallSucceededReason, helmv2.ReleaseActionInstall
		}
		conditions.MarkTrue(obj, helmv2.ReleasedCondition, reason, fmt.Sprintf("Helm %s succeeded for release %s", act, describe(cur)))
	}
	if !obj.GetTest().Enable {
		conditions.Delete(obj, helmv2.TestSuccessCondition)
	}
	conditions.Delete(obj, helmv2.RemediatedCondition)
	if obj.Status.Inventory == nil {
		obj.Status.Inventory = inventoryOf(cur)
	}
	if res := st.detectDrift(ctx, s, cur); !res.IsDone() {
		return res
	}
	return readyResult(obj)
}

// readyResult is the Done result of a healthy release: the test outcome when tests run and
// passed, the release outcome otherwise.
func readyResult(obj *helmv2.HelmRelease) reconcile.Result {
	if obj.GetTest().Enable && conditions.IsTrue(obj, helmv2.TestSuccessCondition) {
		c := conditions.Get(obj, helmv2.TestSuccessCondition)
		return reconcile.Done(c.Reason, c.Message)
	}
	if c := conditions.Get(obj, helmv2.ReleasedCondition); c != nil {
		return reconcile.Done(c.Reason, c.Message)
	}
	return reconcile.Done(helmv2.ReconciliationSucceededReason, "release is up to date")
}
