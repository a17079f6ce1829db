package v2

import (
	"slices"
	"testing"
)

func snapshot(version int, status string, testPhase string) *Snapshot {
	s := &Snapshot{Name: "podinfo", Namespace: "apps", Version: version, Status: status}
	if testPhase != "" {
		s.SetTestHooks(map[string]*TestHookStatus{"test": {Phase: testPhase}})
	}
	return s
}

func versions(s Snapshots) []int {
	out := make([]int, 0, len(s))
	for _, x := range s {
		out = append(out, x.Version)
	}
	return out
}

func TestSnapshots(t *testing.T) {
	tests := []struct {
		name          string
		history       Snapshots
		ignoreTests   bool
		wantLatest    int
		wantPrevious  int
		wantTruncated []int
	}{
		{name: "empty", wantTruncated: []int{}},
		{
			name:          "previous deployed",
			history:       Snapshots{snapshot(2, "superseded", ""), snapshot(3, "failed", ""), snapshot(1, "superseded", "")},
			wantLatest:    3,
			wantPrevious:  2,
			wantTruncated: []int{3, 2},
		},
		{
			name:          "failed tests skipped",
			history:       Snapshots{snapshot(3, "deployed", ""), snapshot(2, "superseded", TestHookPhaseFailed), snapshot(1, "superseded", "")},
			wantLatest:    3,
			wantPrevious:  1,
			wantTruncated: []int{3, 2, 1},
		},
		{
			name:          "failed tests ignored",
			history:       Snapshots{snapshot(3, "deployed", ""), snapshot(2, "superseded", TestHookPhaseFailed), snapshot(1, "superseded", "")},
			ignoreTests:   true,
			wantLatest:    3,
			wantPrevious:  2,
			wantTruncated: []int{3, 2},
		},
		{
			name: "no target keeps the newest five",
			history: Snapshots{
				snapshot(1, "failed", ""), snapshot(2, "failed", ""), snapshot(3, "failed", ""),
				snapshot(4, "failed", ""), snapshot(5, "failed", ""), snapshot(6, "failed", ""),
			},
			wantLatest:    6,
			wantTruncated: []int{6, 5, 4, 3, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.history.Latest(); tt.wantLatest == 0 && got != nil || tt.wantLatest != 0 && got.Version != tt.wantLatest {
				t.Errorf("Latest() = %v, want version %d", got, tt.wantLatest)
			}
			if got := tt.history.Previous(tt.ignoreTests); tt.wantPrevious == 0 && got != nil || tt.wantPrevious != 0 && got.Version != tt.wantPrevious {
				t.Errorf("Previous() = %v, want version %d", got, tt.wantPrevious)
			}
			tt.history.Truncate(tt.ignoreTests)
			if got := versions(tt.history); !slices.Equal(got, tt.wantTruncated) {
				t.Errorf("Truncate() kept %v, want %v", got, tt.wantTruncated)
			}
		})
	}
}

func TestSnapshotNames(t *testing.T) {
	s := &Snapshot{Name: "podinfo", Namespace: "apps", Version: 4, ChartName: "podinfo", ChartVersion: "6.5.3"}
	if got := s.FullReleaseName(); got != "apps/podinfo.v4" {
		t.Errorf("FullReleaseName() = %q", got)
	}
	if got := s.VersionedChartName(); got != "podinfo@6.5.3" {
		t.Errorf("VersionedChartName() = %q", got)
	}
	if s.HasBeenTested() {
		t.Error("HasBeenTested() without test hooks")
	}
	s.SetTestHooks(map[string]*TestHookStatus{})
	if !s.HasBeenTested() {
		t.Error("an empty test hook map means tested")
	}
}
