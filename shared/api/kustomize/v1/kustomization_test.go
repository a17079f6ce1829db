package v1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func TestGetTimeout(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		timeout  *metav1.Duration
		want     time.Duration
	}{
		{name: "interval minus 30s", interval: 10 * time.Minute, want: 9*time.Minute + 30*time.Second},
		{name: "short interval floors at 30s", interval: 40 * time.Second, want: 30 * time.Second},
		{name: "explicit timeout", interval: 10 * time.Minute, timeout: duration(2 * time.Minute), want: 2 * time.Minute},
		{name: "explicit timeout floors at 30s", interval: 10 * time.Minute, timeout: duration(5 * time.Second), want: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &Kustomization{Spec: KustomizationSpec{Interval: metav1.Duration{Duration: tt.interval}, Timeout: tt.timeout}}
			if got := obj.GetTimeout(); got != tt.want {
				t.Errorf("GetTimeout() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGetRetryInterval(t *testing.T) {
	tests := []struct {
		name  string
		retry *metav1.Duration
		want  time.Duration
	}{
		{name: "defaults to interval", want: 5 * time.Minute},
		{name: "explicit retry interval", retry: duration(time.Minute), want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &Kustomization{Spec: KustomizationSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}, RetryInterval: tt.retry}}
			if got := obj.GetRetryInterval(); got != tt.want {
				t.Errorf("GetRetryInterval() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestShouldDeleteOnFinalize(t *testing.T) {
	tests := []struct {
		policy string
		prune  bool
		want   bool
	}{
		{policy: "", prune: true, want: true},
		{policy: "", prune: false, want: false},
		{policy: DeletionPolicyMirrorPrune, prune: true, want: true},
		{policy: DeletionPolicyDelete, prune: false, want: true},
		{policy: DeletionPolicyWaitForTermination, prune: false, want: true},
		{policy: DeletionPolicyOrphan, prune: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			obj := &Kustomization{Spec: KustomizationSpec{DeletionPolicy: tt.policy, Prune: tt.prune}}
			if got := obj.ShouldDeleteOnFinalize(); got != tt.want {
				t.Errorf("ShouldDeleteOnFinalize() with policy %q prune %v = %v, want %v", tt.policy, tt.prune, got, tt.want)
			}
		})
	}
}

func TestSourceReferenceString(t *testing.T) {
	tests := []struct {
		ref  CrossNamespaceSourceReference
		want string
	}{
		{ref: CrossNamespaceSourceReference{Kind: "GitRepository", Name: "app"}, want: "GitRepository/app"},
		{ref: CrossNamespaceSourceReference{Kind: "Bucket", Name: "app", Namespace: "flux-system"}, want: "Bucket/flux-system/app"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHistoryLatest(t *testing.T) {
	if got := History(nil).Latest(); got != nil {
		t.Errorf("Latest() of empty history = %v, want nil", got)
	}
	h := History{{Digest: "sha256:new"}, {Digest: "sha256:old"}}
	if got := h.Latest(); got == nil || got.Digest != "sha256:new" {
		t.Errorf("Latest() = %v, want the first snapshot", got)
	}
}
