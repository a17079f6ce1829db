package v2

import (
	"cmp"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Release and test states recorded in snapshots, as Helm names them.
const (
	// SnapshotStatusDeployed is the status of the release revision currently deployed.
	SnapshotStatusDeployed = "deployed"
	// SnapshotStatusSuperseded is the status of a revision replaced by a newer one.
	SnapshotStatusSuperseded = "superseded"
	// SnapshotActionRollback is the action of a revision made by a rollback (install and
	// upgrade revisions carry ReleaseActionInstall and ReleaseActionUpgrade).
	SnapshotActionRollback = "rollback"
	// TestHookPhaseFailed is the phase of a test hook that failed.
	TestHookPhaseFailed = "Failed"
	// TestHookPhaseSucceeded is the phase of a test hook that passed.
	TestHookPhaseSucceeded = "Succeeded"
)

// Snapshot records a release revision made by the controller, as found in the Helm storage.
type Snapshot struct {
	// APIVersion identifies how the digest was computed, so that the method can change.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Digest is the '<algorithm>:<checksum>' of the release object in the storage.
	// +required
	Digest string `json:"digest"`

	// Name is the release name.
	// +required
	Name string `json:"name"`

	// Namespace is the namespace the release was made into.
	// +required
	Namespace string `json:"namespace"`

	// Version is the release revision.
	// +required
	Version int `json:"version"`

	// Status is the Helm status of the revision, such as deployed, superseded or failed.
	// +required
	Status string `json:"status"`

	// Action is the Helm action that produced the revision.
	// +optional
	Action string `json:"action,omitempty"`

	// ChartName is the name of the chart of the revision.
	// +required
	ChartName string `json:"chartName"`

	// ChartVersion is the version of the chart of the revision.
	// +required
	ChartVersion string `json:"chartVersion"`

	// AppVersion is the appVersion of the chart of the revision.
	// +optional
	AppVersion string `json:"appVersion,omitempty"`

	// ConfigDigest is the '<algorithm>:<checksum>' of the values of the revision.
	// +required
	ConfigDigest string `json:"configDigest"`

	// FirstDeployed is when the release was first deployed.
	// +required
	FirstDeployed metav1.Time `json:"firstDeployed"`

	// LastDeployed is when this revision was deployed.
	// +required
	LastDeployed metav1.Time `json:"lastDeployed"`

	// Deleted is when the revision was uninstalled.
	// +optional
	Deleted *metav1.Time `json:"deleted,omitempty"`

	// TestHooks are the test hooks the controller saw run for the revision, by name. A
	// non-nil empty map means the chart has no tests.
	// +optional
	TestHooks *map[string]*TestHookStatus `json:"testHooks,omitempty"`

	// OCIDigest is the digest of the OCI artifact the chart came from.
	// +optional
	OCIDigest string `json:"ociDigest,omitempty"`
}

// TestHookStatus is what the controller saw of one test hook run.
type TestHookStatus struct {
	// LastStarted is when the hook last started.
	// +optional
	LastStarted *metav1.Time `json:"lastStarted,omitempty"`

	// LastCompleted is when the hook last completed.
	// +optional
	LastCompleted *metav1.Time `json:"lastCompleted,omitempty"`

	// Phase is the phase the hook was seen in.
	// +optional
	Phase string `json:"phase,omitempty"`
}

// FullReleaseName returns '<namespace>/<name>.v<version>'.
func (in *Snapshot) FullReleaseName() string {
	if in == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s.v%d", in.Namespace, in.Name, in.Version)
}

// VersionedChartName returns '<chartName>@<chartVersion>'.
func (in *Snapshot) VersionedChartName() string {
	if in == nil {
		return ""
	}
	return in.ChartName + "@" + in.ChartVersion
}

// HasBeenTested reports whether tests ran for the revision, including a chart without tests.
func (in *Snapshot) HasBeenTested() bool { return in != nil && in.TestHooks != nil }

// GetTestHooks returns the test hooks, or nil when tests did not run.
func (in *Snapshot) GetTestHooks() map[string]*TestHookStatus {
	if !in.HasBeenTested() {
		return nil
	}
	return *in.TestHooks
}

// SetTestHooks records the test hooks; a nil map is ignored.
func (in *Snapshot) SetTestHooks(hooks map[string]*TestHookStatus) {
	if in != nil && hooks != nil {
		in.TestHooks = &hooks
	}
}

// HasTestInPhase reports whether a test hook of the revision is in the given phase.
func (in *Snapshot) HasTestInPhase(phase string) bool {
	for _, h := range in.GetTestHooks() {
		if h != nil && h.Phase == phase {
			return true
		}
	}
	return false
}

// Targets reports whether the snapshot is of the given release revision.
func (in *Snapshot) Targets(name, namespace string, version int) bool {
	return in != nil && in.Name == name && in.Namespace == namespace && in.Version == version
}

// isRollbackTarget reports whether the revision was successfully deployed at some point, and
// passed its tests unless ignoreTests.
func (in *Snapshot) isRollbackTarget(ignoreTests bool) bool {
	deployed := in.Status == SnapshotStatusDeployed || in.Status == SnapshotStatusSuperseded
	return deployed && (ignoreTests || !in.HasTestInPhase(TestHookPhaseFailed))
}

// Snapshots is a release history.
type Snapshots []*Snapshot

// SortByVersion orders the snapshots newest first.
func (in Snapshots) SortByVersion() {
	slices.SortStableFunc(in, func(a, b *Snapshot) int { return cmp.Compare(b.Version, a.Version) })
}

// Latest returns the newest snapshot, or nil for an empty history.
func (in Snapshots) Latest() *Snapshot {
	if len(in) == 0 {
		return nil
	}
	return slices.MaxFunc(in, func(a, b *Snapshot) int { return cmp.Compare(a.Version, b.Version) })
}

// Previous returns the newest snapshot older than Latest that was deployed and, unless
// ignoreTests, did not fail its tests; nil when there is none.
func (in Snapshots) Previous(ignoreTests bool) *Snapshot {
	sorted := slices.Clone(in)
	sorted.SortByVersion()
	for i := 1; i < len(sorted); i++ {
		if sorted[i].isRollbackTarget(ignoreTests) {
			return sorted[i]
		}
	}
	return nil
}

// Truncate sorts the history newest first and drops everything older than Previous. Without
// such a snapshot it keeps the newest DefaultMaxHistory entries.
func (in *Snapshots) Truncate(ignoreTests bool) {
	in.SortByVersion()
	for i := 1; i < len(*in); i++ {
		if (*in)[i].isRollbackTarget(ignoreTests) {
			*in = (*in)[:i+1]
			return
		}
	}
	if len(*in) > DefaultMaxHistory {
		*in = (*in)[:DefaultMaxHistory]
	}
}
