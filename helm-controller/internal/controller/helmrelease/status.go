package helmrelease

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// snapshotOf records a release revision as a history snapshot.
func snapshotOf(rel *release.Release, ociDigest string) *helmv2.Snapshot {
	snap := &helmv2.Snapshot{
		Digest:       releaseDigest(rel),
		Name:         rel.Name,
		Namespace:    rel.Namespace,
		Version:      rel.Version,
		ConfigDigest: values.Digest(rel.Config),
		OCIDigest:    ociDigest,
	}
	if rel.Info != nil {
		snap.Status = rel.Info.Status.String()
		snap.FirstDeployed = metav1.NewTime(rel.Info.FirstDeployed.Time)
		snap.LastDeployed = metav1.NewTime(rel.Info.LastDeployed.Time)
		if !rel.Info.Deleted.IsZero() {
			t := metav1.NewTime(rel.Info.Deleted.Time)
			snap.Deleted = &t
		}
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		snap.ChartName, snap.ChartVersion = rel.Chart.Metadata.Name, rel.Chart.Metadata.Version
		snap.AppVersion = rel.Chart.Metadata.AppVersion
	}
	snap.SetTestHooks(testHooksOf(rel))
	return snap
}

// releaseDigest is the 'sha256:<hex>' of the JSON encoding of the release, as stored.
func releaseDigest(rel *release.Release) string {
	b, err := json.Marshal(rel)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// testHooksOf returns the test hooks that ran for rel by name, an empty map when the chart
// has tests that did not run, or nil when no test ran.
func testHooksOf(rel *release.Release) map[string]*helmv2.TestHookStatus {
	var hooks map[string]*helmv2.TestHookStatus
	for _, h := range rel.Hooks {
		if !isTestHook(h) || h.LastRun.StartedAt.IsZero() {
			continue
		}
		if hooks == nil {
			hooks = map[string]*helmv2.TestHookStatus{}
		}
		st := &helmv2.TestHookStatus{Phase: h.LastRun.Phase.String()}
		started := metav1.NewTime(h.LastRun.StartedAt.Time)
		st.LastStarted = &started
		if !h.LastRun.CompletedAt.IsZero() {
			completed := metav1.NewTime(h.LastRun.CompletedAt.Time)
			st.LastCompleted = &completed
		}
		hooks[h.Name] = st
	}
	return hooks
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

// upsertSnapshot puts snap into the history in place of the snapshot of the same revision,
// or in front, and truncates the history to the last successful release.
func upsertSnapshot(obj *helmv2.HelmRelease, snap *helmv2.Snapshot) {
	for i, old := range obj.Status.History {
		if old.Targets(snap.Name, snap.Namespace, snap.Version) {
			if snap.TestHooks == nil {
				snap.TestHooks = old.TestHooks
			}
			if snap.OCIDigest == "" {
				snap.OCIDigest = old.OCIDigest
			}
			if snap.Action == "" {
				snap.Action = old.Action
			}
			obj.Status.History[i] = snap
			return
		}
	}
	obj.Status.History = append(helmv2.Snapshots{snap}, obj.Status.History...)
	obj.Status.History.Truncate(obj.GetTest().IgnoreFailures)
	if rel := obj.Status.History.Latest(); rel != nil && rel.Status == helmv2.SnapshotStatusDeployed {
		obj.Status.LastReleaseRevision = rel.Version
	}
}

// syncHistory updates the status of every snapshot from the storage's revisions, marking
// those the storage no longer holds as uninstalled.
func syncHistory(obj *helmv2.HelmRelease, stored []*release.Release) {
	byVersion := make(map[int]*release.Release, len(stored))
	for _, rel := range stored {
		byVersion[rel.Version] = rel
	}
	for _, snap := range obj.Status.History {
		if rel, ok := byVersion[snap.Version]; ok && rel.Name == snap.Name && rel.Info != nil {
			snap.Status = rel.Info.Status.String()
			continue
		}
		if snap.Status != release.StatusUninstalled.String() {
			snap.Status = release.StatusUninstalled.String()
			now := metav1.Now()
			snap.Deleted = &now
		}
	}
}

// describe is '<namespace>/<name>.v<version> with chart <name>@<version>' for messages.
func describe(rel *release.Release) string {
	s := fmt.Sprintf("%s/%s.v%d", rel.Namespace, rel.Name, rel.Version)
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		s += fmt.Sprintf(" with chart %s@%s", rel.Chart.Metadata.Name, rel.Chart.Metadata.Version)
	}
	return s
}
