package helmrelease

import (
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

func rel(version int, status release.Status, chartVersion string, config map[string]any) *release.Release {
	return &release.Release{
		Name: "app", Namespace: "ns", Version: version,
		Info:   &release.Info{Status: status},
		Chart:  &helmchart.Chart{Metadata: &helmchart.Metadata{Name: "hello", Version: chartVersion}},
		Config: config,
	}
}

func TestDecide(t *testing.T) {
	vals := map[string]any{"a": 1.0}
	want := desired{chartName: "hello", chartVersion: "1.0.0", configDigest: values.Digest(vals)}
	tested := map[string]*helmv2.TestHookStatus{}
	tests := []struct {
		name   string
		cur    *release.Release
		status helmv2.HelmReleaseStatus
		spec   func(*helmv2.HelmReleaseSpec)
		d      func(*desired)
		want   nextAction
	}{
		{name: "no release", want: actionInstall},
		{name: "uninstalled release", cur: rel(1, release.StatusUninstalled, "1.0.0", vals), want: actionInstall},
		{name: "up to date", cur: rel(1, release.StatusDeployed, "1.0.0", vals), want: actionNone},
		{name: "new chart version", cur: rel(1, release.StatusDeployed, "0.9.0", vals), want: actionUpgrade},
		{name: "new chart name", cur: rel(1, release.StatusDeployed, "1.0.0", vals), d: func(d *desired) { d.chartName = "other" }, want: actionReinstall},
		{name: "new chart name in place", cur: rel(1, release.StatusDeployed, "1.0.0", vals), d: func(d *desired) { d.chartName = "other" },
			spec: func(s *helmv2.HelmReleaseSpec) {
				s.Upgrade = &helmv2.Upgrade{ChartNameChangeStrategy: helmv2.ChartNameChangeInPlaceUpdate}
			}, want: actionUpgrade},
		{name: "new values", cur: rel(1, release.StatusDeployed, "1.0.0", map[string]any{"a": 2}), want: actionUpgrade},
		{name: "same values, other number type", cur: rel(1, release.StatusDeployed, "1.0.0", map[string]any{"a": int64(1)}), want: actionNone},
		{name: "failed release", cur: rel(2, release.StatusFailed, "1.0.0", vals), want: actionUpgrade},
		{name: "forced", cur: rel(1, release.StatusDeployed, "1.0.0", vals), d: func(d *desired) { d.force = true }, want: actionUpgrade},
		{name: "post-renderers changed", cur: rel(1, release.StatusDeployed, "1.0.0", vals), d: func(d *desired) { d.postRenderersDigest = "sha256:x" }, want: actionUpgrade},
		{name: "common metadata changed", cur: rel(1, release.StatusDeployed, "1.0.0", vals),
			status: helmv2.HelmReleaseStatus{ObservedCommonMetadataDigest: "sha256:old"}, want: actionUpgrade},
		{name: "tests enabled, not tested", cur: rel(1, release.StatusDeployed, "1.0.0", vals),
			spec: func(s *helmv2.HelmReleaseSpec) { s.Test = &helmv2.Test{Enable: true} }, want: actionTest},
		{name: "tests enabled, tested", cur: rel(1, release.StatusDeployed, "1.0.0", vals),
			spec:   func(s *helmv2.HelmReleaseSpec) { s.Test = &helmv2.Test{Enable: true} },
			status: helmv2.HelmReleaseStatus{History: helmv2.Snapshots{{Name: "app", Namespace: "ns", Version: 1, TestHooks: &tested}}},
			want:   actionNone},
		{name: "upgrade retries used up", cur: rel(3, release.StatusDeployed, "0.9.0", vals),
			status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionUpgrade, UpgradeFailures: 1},
			want:   actionStalled},
		{name: "upgrade retries left", cur: rel(3, release.StatusDeployed, "0.9.0", vals),
			spec: func(s *helmv2.HelmReleaseSpec) {
				s.Upgrade = &helmv2.Upgrade{Remediation: &helmv2.UpgradeRemediation{Retries: 2}}
			},
			status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionUpgrade, UpgradeFailures: 2},
			want:   actionUpgrade},
		{name: "unlimited retries", cur: rel(3, release.StatusFailed, "1.0.0", vals),
			spec: func(s *helmv2.HelmReleaseSpec) {
				s.Upgrade = &helmv2.Upgrade{Remediation: &helmv2.UpgradeRemediation{Retries: -1}}
			},
			status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionUpgrade, UpgradeFailures: 9},
			want:   actionUpgrade},
		{name: "install retries used up", status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionInstall, InstallFailures: 1},
			want: actionStalled},
		{name: "retry on failure never stalls", cur: rel(1, release.StatusFailed, "1.0.0", vals),
			spec: func(s *helmv2.HelmReleaseSpec) {
				s.Install = &helmv2.Install{Strategy: &helmv2.ActionStrategy{Name: helmv2.ActionStrategyRetryOnFailure}}
			},
			status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionInstall, InstallFailures: 5},
			want:   actionUpgrade},
		{name: "force overrides used-up retries", cur: rel(2, release.StatusFailed, "1.0.0", vals), d: func(d *desired) { d.force = true },
			status: helmv2.HelmReleaseStatus{LastAttemptedReleaseAction: helmv2.ReleaseActionUpgrade, UpgradeFailures: 1},
			want:   actionUpgrade},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns"}, Status: tt.status}
			if tt.spec != nil {
				tt.spec(&obj.Spec)
			}
			d := want
			if tt.d != nil {
				tt.d(&d)
			}
			if got := decide(obj, tt.cur, d); got.action != tt.want {
				t.Fatalf("decide = %v (%s), want %v", got.action, got.reason, tt.want)
			}
		})
	}
}
