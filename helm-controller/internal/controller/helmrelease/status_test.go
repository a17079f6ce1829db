package helmrelease

import (
	"regexp"
	"testing"
	"time"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	helmtime "helm.sh/helm/v3/pkg/time"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

func TestReleaseName(t *testing.T) {
	long := "a-helmrelease-name-long-enough-to-need-a-hash-suffix"
	hashed := regexp.MustCompile(`^prod-a-helmrelease-name-long-enough-to-n-[0-9a-f]{12}$`)
	tests := []struct {
		name, target, releaseName string
		want                      string
		match                     *regexp.Regexp
	}{
		{name: "app", want: "app"},
		{name: "app", target: "prod", want: "prod-app"},
		{name: "app", target: "prod", releaseName: "custom", want: "custom"},
		{name: long, want: long},
		{name: long, target: "prod", match: hashed},
		{name: long + "x", target: "prod", match: hashed},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.target, func(t *testing.T) {
			obj := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: tt.name, Namespace: "ns"},
				Spec: helmv2.HelmReleaseSpec{TargetNamespace: tt.target, ReleaseName: tt.releaseName}}
			got := obj.GetReleaseName()
			if len(got) > 53 || (tt.want != "" && got != tt.want) || (tt.match != nil && !tt.match.MatchString(got)) {
				t.Fatalf("GetReleaseName = %q", got)
			}
			if got != obj.GetReleaseName() || seen[got] {
				t.Fatalf("name %q is not stable or not unique", got)
			}
			seen[got] = true
		})
	}
}

func TestSnapshotsAndInventory(t *testing.T) {
	now := helmtime.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	rel := func(version int, status release.Status) *release.Release {
		return &release.Release{
			Name: "app", Namespace: "ns", Version: version,
			Info:  &release.Info{Status: status, FirstDeployed: now, LastDeployed: now},
			Chart: &helmchart.Chart{Metadata: &helmchart.Metadata{Name: "app", Version: "1.0.0", AppVersion: "2"}},
			Hooks: []*release.Hook{{Name: "t", Events: []release.HookEvent{release.HookTest},
				LastRun: release.HookExecution{StartedAt: now, CompletedAt: now, Phase: release.HookPhaseSucceeded}}},
			Manifest: "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n",
		}
	}
	obj := &helmv2.HelmRelease{}
	upsertSnapshot(obj, snapshotOf(rel(1, release.StatusSuperseded), ""))
	upsertSnapshot(obj, snapshotOf(rel(2, release.StatusFailed), "sha256:abc"))
	upsertSnapshot(obj, snapshotOf(rel(3, release.StatusDeployed), ""))
	h := obj.Status.History
	if len(h) != 3 || h[0].Version != 3 || h[0].Status != "deployed" || h[1].OCIDigest != "sha256:abc" {
		t.Fatalf("history %+v", h)
	}
	if hooks := h[0].GetTestHooks(); hooks["t"] == nil || hooks["t"].Phase != helmv2.TestHookPhaseSucceeded {
		t.Fatalf("test hooks %+v", hooks)
	}
	if h[0].ConfigDigest == "" || h[0].Digest == "" || h[0].AppVersion != "2" || obj.Status.LastReleaseRevision != 3 {
		t.Fatalf("snapshot %+v", h[0])
	}
	// Revision 3 is deployed and 1 superseded: the history keeps back to the last success.
	upsertSnapshot(obj, snapshotOf(rel(4, release.StatusDeployed), ""))
	if len(obj.Status.History) != 2 || obj.Status.History[1].Version != 3 {
		t.Fatalf("truncated history %+v", obj.Status.History)
	}
	syncHistory(obj, []*release.Release{rel(4, release.StatusDeployed)})
	if obj.Status.History[1].Status != "uninstalled" || obj.Status.History[1].Deleted == nil {
		t.Fatalf("revision gone from storage not marked: %+v", obj.Status.History[1])
	}

	inv := inventoryOf(rel(1, release.StatusDeployed))
	if inv == nil || len(inv.Entries) != 2 || inv.Entries[0].ID != "_extra__Namespace" || inv.Entries[1].ID != "ns_app__Service" {
		t.Fatalf("inventory %+v", inv)
	}
	if inventoryOf(&release.Release{}) != nil {
		t.Fatal("empty manifest has an inventory")
	}
}
