package helmrelease

import (
	"fmt"

	"helm.sh/helm/v3/pkg/release"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// nextAction is what the release needs next.
type nextAction int

const (
	// actionNone: the release is up to date.
	actionNone nextAction = iota
	// actionInstall: there is no release (or only an uninstalled one).
	actionInstall
	// actionUpgrade: the chart, values or post-rendering changed, the last release failed,
	// or an upgrade was forced.
	actionUpgrade
	// actionReinstall: the chart name changed and spec.upgrade.chartNameChangeStrategy is
	// Reinstall (the default): uninstall, then install.
	actionReinstall
	// actionTest: the current release has not been tested yet.
	actionTest
	// actionStalled: the failures used up the retries of the last action.
	actionStalled
)

// desired is what the release should be made of.
type desired struct {
	chartName, chartVersion string
	configDigest            string
	postRenderersDigest     string
	commonMetadataDigest    string
	force                   bool
}

// decision is a next action and why.
type decision struct {
	action nextAction
	reason string
}

// decide computes what to do with the release from its latest revision in the Helm storage
// (nil when none; never pending, those are recovered first), the status of the HelmRelease
// and the desired state. It compares digests and versions; it never renders the chart.
func decide(obj *helmv2.HelmRelease, cur *release.Release, d desired) decision {
	if !d.force && retriesExhausted(obj) {
		return decision{actionStalled, fmt.Sprintf("failed to %s after %d attempt(s)",
			obj.Status.LastAttemptedReleaseAction, failuresOf(obj))}
	}
	switch {
	case cur == nil:
		return decision{actionInstall, "no release in storage"}
	case cur.Info == nil || cur.Info.Status == release.StatusUninstalled:
		return decision{actionInstall, "release was uninstalled"}
	case d.force:
		return decision{actionUpgrade, "forced by " + helmv2.ForceRequestAnnotation}
	case cur.Info.Status == release.StatusFailed:
		return decision{actionUpgrade, fmt.Sprintf("release %s.v%d failed", cur.Name, cur.Version)}
	case cur.Chart != nil && cur.Chart.Metadata != nil && cur.Chart.Metadata.Name != d.chartName &&
		obj.GetUpgrade().ChartNameChangeStrategy != helmv2.ChartNameChangeInPlaceUpdate:
		return decision{actionReinstall, fmt.Sprintf("chart name changed from %s to %s", cur.Chart.Metadata.Name, d.chartName)}
	case cur.Chart == nil || cur.Chart.Metadata == nil ||
		cur.Chart.Metadata.Name != d.chartName || cur.Chart.Metadata.Version != d.chartVersion:
		return decision{actionUpgrade, "chart changed"}
	case values.Digest(cur.Config) != d.configDigest:
		return decision{actionUpgrade, "values changed"}
	case obj.Status.ObservedPostRenderersDigest != d.postRenderersDigest:
		return decision{actionUpgrade, "post-renderers changed"}
	case obj.Status.ObservedCommonMetadataDigest != d.commonMetadataDigest:
		return decision{actionUpgrade, "common metadata changed"}
	case obj.GetTest().Enable && !currentSnapshot(obj, cur).HasBeenTested():
		return decision{actionTest, "release not tested yet"}
	}
	return decision{actionNone, "release up to date"}
}

// retriesExhausted reports whether the last install or upgrade failed more often than its
// remediation allows. The RetryOnFailure strategy retries without limit.
func retriesExhausted(obj *helmv2.HelmRelease) bool {
	rem := obj.GetActiveRemediation()
	if rem == nil || strategyOf(obj, obj.Status.LastAttemptedReleaseAction) == helmv2.ActionStrategyRetryOnFailure {
		return false
	}
	return rem.RetriesExhausted(obj)
}

// strategyOf returns the failure strategy of an install or upgrade.
func strategyOf(obj *helmv2.HelmRelease, action helmv2.ReleaseAction) helmv2.ActionStrategyName {
	if action == helmv2.ReleaseActionInstall {
		return obj.GetInstall().GetStrategy()
	}
	return obj.GetUpgrade().GetStrategy()
}

// failuresOf returns the failure counter of the last attempted action.
func failuresOf(obj *helmv2.HelmRelease) int64 {
	if rem := obj.GetActiveRemediation(); rem != nil {
		return rem.GetFailureCount(obj)
	}
	return obj.Status.Failures
}

// currentSnapshot returns the history snapshot of cur, or nil when the controller has not
// recorded it.
func currentSnapshot(obj *helmv2.HelmRelease, cur *release.Release) *helmv2.Snapshot {
	for _, snap := range obj.Status.History {
		if snap.Targets(cur.Name, cur.Namespace, cur.Version) {
			return snap
		}
	}
	return nil
}
