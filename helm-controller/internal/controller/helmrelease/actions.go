package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/postrender"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// install installs the chart as a new release.
func (st *state) install(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	in := obj.GetInstall()
	obj.Status.LastAttemptedReleaseAction = helmv2.ReleaseActionInstall
	timeout := in.GetTimeout(obj.GetTimeout()).Duration
	progressing(ctx, s, string(helmv2.ReleaseActionInstall), timeout, st.target(obj))
	start := time.Now()
	rel, err := st.helm.Install(ctx, st.chart, st.values, action.InstallOptions{
		ReleaseName:              obj.GetReleaseName(),
		Timeout:                  timeout,
		Wait:                     !in.DisableWait,
		WaitForJobs:              !in.DisableWaitForJobs,
		DisableHooks:             in.DisableHooks,
		DisableOpenAPIValidation: in.DisableOpenAPIValidation,
		DisableSchemaValidation:  in.DisableSchemaValidation,
		Replace:                  in.Replace,
		CRDs:                     in.GetCRDs(),
		CreateNamespace:          in.CreateNamespace,
		TakeOwnership:            !in.DisableTakeOwnership,
		PostRenderer:             postrender.Build(obj),
		PostRenderStrategy:       st.r.defaults.postRenderStrategy(obj),
		ServerSideApply:          st.r.defaults.installServerSide(obj),
	})
	obj.Status.LastAttemptedReleaseActionDuration = &metav1.Duration{Duration: time.Since(start)}
	return st.released(ctx, s, helmv2.ReleaseActionInstall, rel, err)
}

// upgrade upgrades the release to the chart and values.
func (st *state) upgrade(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	up := obj.GetUpgrade()
	obj.Status.LastAttemptedReleaseAction = helmv2.ReleaseActionUpgrade
	timeout := up.GetTimeout(obj.GetTimeout()).Duration
	progressing(ctx, s, string(helmv2.ReleaseActionUpgrade), timeout, st.target(obj))
	start := time.Now()
	rel, err := st.helm.Upgrade(ctx, st.chart, st.values, action.UpgradeOptions{
		ReleaseName:              obj.GetReleaseName(),
		Timeout:                  timeout,
		Wait:                     !up.DisableWait,
		WaitForJobs:              !up.DisableWaitForJobs,
		DisableHooks:             up.DisableHooks,
		DisableOpenAPIValidation: up.DisableOpenAPIValidation,
		DisableSchemaValidation:  up.DisableSchemaValidation,
		Force:                    up.Force,
		PreserveValues:           up.PreserveValues,
		CleanupOnFail:            up.CleanupOnFail,
		CRDs:                     up.GetCRDs(),
		MaxHistory:               obj.GetMaxHistory(),
		TakeOwnership:            !up.DisableTakeOwnership,
		PostRenderer:             postrender.Build(obj),
		PostRenderStrategy:       st.r.defaults.postRenderStrategy(obj),
		ServerSideApply:          up.ServerSideApply,
	})
	obj.Status.LastAttemptedReleaseActionDuration = &metav1.Duration{Duration: time.Since(start)}
	return st.released(ctx, s, helmv2.ReleaseActionUpgrade, rel, err)
}

// released records the outcome of an install or upgrade, and runs the tests after a success
// when they are enabled.
func (st *state) released(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], act helmv2.ReleaseAction, rel *release.Release, err error) reconcile.Result {
	obj := s.Obj
	st.refreshHistory(s, rel, string(act))
	reason, failed := helmv2.InstallSucceededReason, helmv2.InstallFailedReason
	if act == helmv2.ReleaseActionUpgrade {
		reason, failed = helmv2.UpgradeSucceededReason, helmv2.UpgradeFailedReason
	}
	if err != nil {
		return st.fail(ctx, s, act, failed, err, true)
	}
	msg := fmt.Sprintf("Helm %s succeeded for release %s", act, describe(rel))
	conditions.MarkTrue(obj, helmv2.ReleasedCondition, reason, msg)
	conditions.Delete(obj, helmv2.RemediatedCondition)
	obj.Status.ObservedPostRenderersDigest = postRenderersDigest(obj)
	obj.Status.ObservedCommonMetadataDigest = postrender.Digest(obj.Spec.CommonMetadata)
	obj.Status.Inventory = inventoryOf(rel)
	s.Event(corev1.EventTypeNormal, reason, msg)
	if obj.GetTest().Enable {
		return st.runTests(ctx, s, rel)
	}
	conditions.Delete(obj, helmv2.TestSuccessCondition)
	return reconcile.Done(reason, msg)
}

// runTests runs the release's tests. A failure counts against the last install or upgrade
// unless test failures are ignored.
func (st *state) runTests(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], rel *release.Release) reconcile.Result {
	obj := s.Obj
	test := obj.GetTest()
	timeout := test.GetTimeout(obj.GetTimeout()).Duration
	progressing(ctx, s, "test", timeout, "for release "+describe(rel))
	tested, err := st.helm.Test(ctx, rel.Name, action.TestOptions{Timeout: timeout, Filters: test.Filters})
	if tested == nil {
		tested = rel
	}
	snap := snapshotOf(tested, st.ociDigest)
	hooks := snap.GetTestHooks()
	if hooks == nil && err == nil {
		hooks = map[string]*helmv2.TestHookStatus{}
	}
	snap.TestHooks = &hooks
	upsertSnapshot(obj, snap)
	if err != nil {
		msg := fmt.Sprintf("Helm test failed for release %s: %s", describe(rel), err)
		conditions.MarkFalse(obj, helmv2.TestSuccessCondition, helmv2.TestFailedReason, msg)
		ignore := test.IgnoreFailures
		if rem := obj.GetActiveRemediation(); rem != nil {
			ignore = rem.MustIgnoreTestFailures(test.IgnoreFailures)
		}
		if ignore || obj.Status.LastAttemptedReleaseAction == "" {
			// The release stays Ready: only this event tells of the failure.
			s.Event(corev1.EventTypeWarning, helmv2.TestFailedReason, msg)
			return readyResult(obj)
		}
		// The runtime reports the failure with the release's new Ready state.
		return st.fail(ctx, s, obj.Status.LastAttemptedReleaseAction, helmv2.TestFailedReason, errors.New(msg), false)
	}
	msg := fmt.Sprintf("Helm test succeeded for release %s: %d test hook(s) completed successfully", describe(rel), len(hooks))
	if len(hooks) == 0 {
		msg = fmt.Sprintf("Helm test succeeded for release %s: no test hooks", describe(rel))
	}
	conditions.MarkTrue(obj, helmv2.TestSuccessCondition, helmv2.TestSucceededReason, msg)
	s.Event(corev1.EventTypeNormal, helmv2.TestSucceededReason, msg)
	return reconcile.Done(helmv2.TestSucceededReason, msg)
}

// fail counts a failed install, upgrade or test, remediates it when the remediation
// settings say so, and stalls once the retries are used up.
func (st *state) fail(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], act helmv2.ReleaseAction, reason string, err error, releaseFailed bool) reconcile.Result {
	obj := s.Obj
	rem := remediationOf(obj, act)
	rem.IncrementFailureCount(obj)
	obj.Status.Failures++
	if releaseFailed {
		// The runtime reports the failure (an event for the new Ready state); no event here.
		conditions.MarkFalse(obj, helmv2.ReleasedCondition, reason, err.Error())
	}
	if strategyOf(obj, act) == helmv2.ActionStrategyRetryOnFailure {
		return reconcile.TransientAfter(reason, err, retryInterval(obj, act))
	}
	exhausted := rem.RetriesExhausted(obj)
	if !exhausted || rem.MustRemediateLastFailure() {
		st.remediate(ctx, s, act)
	}
	if exhausted {
		return reconcile.Stalled(helmv2.RetriesExceededReason,
			fmt.Errorf("failed to %s after %d attempt(s): %w", act, rem.GetFailureCount(obj), err))
	}
	return reconcile.Transient(reason, err)
}

// remediationOf returns the remediation settings of an install or upgrade.
func remediationOf(obj *helmv2.HelmRelease, act helmv2.ReleaseAction) helmv2.Remediation {
	if act == helmv2.ReleaseActionInstall {
		return obj.GetInstall().GetRemediation()
	}
	return obj.GetUpgrade().GetRemediation()
}

// retryInterval returns the retry interval of the RetryOnFailure strategy of act.
func retryInterval(obj *helmv2.HelmRelease, act helmv2.ReleaseAction) time.Duration {
	strategy := obj.GetUpgrade().Strategy
	if act == helmv2.ReleaseActionInstall {
		strategy = obj.GetInstall().Strategy
	}
	if strategy == nil {
		return helmv2.DefaultRetryInterval
	}
	return strategy.GetRetryInterval()
}

// target is "for release <namespace>/<name> with chart <name>@<version>": what an install or
// upgrade of the state's chart works on, for the message of its progress.
func (st *state) target(obj *helmv2.HelmRelease) string {
	return fmt.Sprintf("for release %s/%s with chart %s@%s", obj.GetReleaseNamespace(), obj.GetReleaseName(),
		st.chart.Name(), st.chart.Metadata.Version)
}

// progressing shows that a Helm action that may run for up to timeout starts: until the
// reconcile ends, readers see Reconciling=True and Ready=Unknown with the action and what it
// works on ("Running 'upgrade' action with timeout of 5m0s for release …") instead of the old
// Ready state. Failing to show it is logged; the action runs all the same.
func progressing(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], act string, timeout time.Duration, what string) {
	msg := fmt.Sprintf("Running '%s' action with timeout of %s %s", act, timeout, what)
	if err := s.Progressing(ctx, msg); err != nil {
		s.Log.Error(err, "unable to report the Helm action in progress", "action", act)
	}
}

// postRenderersDigest is the digest of what post-renders the release: its post-renderers,
// and spec.postRenderStrategy when set, so that setting or changing either upgrades the
// release. An unset strategy keeps the digest of the post-renderers alone: a new default
// (UseHelm3DefaultsGate) applies from the release's next upgrade, as in Flux.
func postRenderersDigest(obj *helmv2.HelmRelease) string {
	if obj.Spec.PostRenderStrategy == "" {
		return postrender.Digest(obj.Spec.PostRenderers)
	}
	return postrender.Digest(struct {
		PostRenderers []helmv2.PostRenderer `json:"postRenderers"`
		Strategy      string                `json:"strategy"`
	}{obj.Spec.PostRenderers, obj.Spec.PostRenderStrategy})
}
