package v2

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGetReleaseName(t *testing.T) {
	tests := []struct {
		name            string
		objName         string
		targetNamespace string
		releaseName     string
		want            string
	}{
		{name: "object name", objName: "podinfo", want: "podinfo"},
		{name: "target namespace prefix", objName: "podinfo", targetNamespace: "apps", want: "apps-podinfo"},
		{name: "explicit release name wins", objName: "podinfo", targetNamespace: "apps", releaseName: "web", want: "web"},
		{name: "53 characters kept", objName: strings.Repeat("x", 53), want: strings.Repeat("x", 53)},
		{name: "54 characters hashed", objName: strings.Repeat("x", 54), want: strings.Repeat("x", 40) + "-45f316e10b2c"},
		{
			name:            "long composition hashed",
			objName:         "object-name",
			targetNamespace: "a-very-lengthy-target-namespace-with-a-nice",
			want:            "a-very-lengthy-target-namespace-with-a-n-97af5d7f41f3",
		},
		{
			name:    "long object name hashed",
			objName: "monitoring-kube-prometheus-stack-operator-admission-webhook",
			want:    "monitoring-kube-prometheus-stack-operato-7c953f86c1e1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := &HelmRelease{
				ObjectMeta: metav1.ObjectMeta{Name: tt.objName, Namespace: "default"},
				Spec:       HelmReleaseSpec{TargetNamespace: tt.targetNamespace, ReleaseName: tt.releaseName},
			}
			got := hr.GetReleaseName()
			if got != tt.want {
				t.Errorf("GetReleaseName() = %q, want %q", got, tt.want)
			}
			if len(got) > maxReleaseNameLength {
				t.Errorf("GetReleaseName() is %d characters long", len(got))
			}
		})
	}
}

func TestNamespacesAndDefaults(t *testing.T) {
	hr := &HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "flux-system"}}
	if got := hr.GetStorageNamespace(); got != "flux-system" {
		t.Errorf("GetStorageNamespace() = %q", got)
	}
	if got := hr.GetReleaseNamespace(); got != "flux-system" {
		t.Errorf("GetReleaseNamespace() = %q", got)
	}
	if hr.GetMaxHistory() != DefaultMaxHistory || hr.GetTimeout().Duration != DefaultTimeout || !hr.UsePersistentClient() {
		t.Errorf("unexpected defaults: %d %s %t", hr.GetMaxHistory(), hr.GetTimeout(), hr.UsePersistentClient())
	}
	if hr.GetInstall().GetCRDs() != Create || hr.GetUpgrade().GetCRDs() != Skip {
		t.Errorf("unexpected CRD policies: %s %s", hr.GetInstall().GetCRDs(), hr.GetUpgrade().GetCRDs())
	}
	if hr.GetInstall().GetStrategy() != ActionStrategyRemediateOnFailure {
		t.Errorf("unexpected install strategy %s", hr.GetInstall().GetStrategy())
	}
	if hr.GetActiveRemediation() != nil {
		t.Errorf("GetActiveRemediation() without an attempt should be nil")
	}

	hr.Spec.StorageNamespace, hr.Spec.TargetNamespace = "helm-storage", "apps"
	if got := hr.GetStorageNamespace(); got != "helm-storage" {
		t.Errorf("GetStorageNamespace() = %q", got)
	}
	if got := hr.GetReleaseNamespace(); got != "apps" {
		t.Errorf("GetReleaseNamespace() = %q", got)
	}
}

func TestUpgradeRemediation(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name          string
		remediation   UpgradeRemediation
		failures      int64
		wantLast      bool
		wantExhausted bool
	}{
		{name: "no retries", failures: 1, wantLast: false, wantExhausted: true},
		{name: "retries left", remediation: UpgradeRemediation{Retries: 2}, failures: 2, wantLast: true},
		{name: "retries used up", remediation: UpgradeRemediation{Retries: 2}, failures: 3, wantLast: true, wantExhausted: true},
		{name: "explicitly no last remediation", remediation: UpgradeRemediation{Retries: 2, RemediateLastFailure: &no}, failures: 3, wantExhausted: true},
		{name: "last remediation without retries", remediation: UpgradeRemediation{RemediateLastFailure: &yes}, failures: 1, wantLast: true, wantExhausted: true},
		{name: "unlimited retries", remediation: UpgradeRemediation{Retries: -1}, failures: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := &HelmRelease{Status: HelmReleaseStatus{UpgradeFailures: tt.failures, LastAttemptedReleaseAction: ReleaseActionUpgrade}}
			hr.Spec.Upgrade = &Upgrade{Remediation: &tt.remediation}
			r := hr.GetActiveRemediation()
			if got := r.MustRemediateLastFailure(); got != tt.wantLast {
				t.Errorf("MustRemediateLastFailure() = %t, want %t", got, tt.wantLast)
			}
			if got := r.RetriesExhausted(hr); got != tt.wantExhausted {
				t.Errorf("RetriesExhausted() = %t, want %t", got, tt.wantExhausted)
			}
			if r.GetStrategy() != RollbackRemediationStrategy {
				t.Errorf("GetStrategy() = %s", r.GetStrategy())
			}
		})
	}
}
