package v2

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

func TestShouldHandleForceRequest(t *testing.T) {
	tests := []struct {
		name            string
		annotations     map[string]string
		lastHandled     string
		lastReconcileAt string
		want            bool
		wantLastHandled string
	}{
		{name: "no annotations"},
		{
			name:            "force and reconcile tokens match",
			annotations:     map[string]string{meta.ReconcileRequestAnnotation: "t1", ForceRequestAnnotation: "t1"},
			want:            true,
			wantLastHandled: "t1",
		},
		{
			name:            "tokens differ",
			annotations:     map[string]string{meta.ReconcileRequestAnnotation: "t2", ForceRequestAnnotation: "t1"},
			wantLastHandled: "t1",
		},
		{
			name:            "no reconcile request",
			annotations:     map[string]string{ForceRequestAnnotation: "t1"},
			wantLastHandled: "t1",
		},
		{
			name:            "force token already handled",
			annotations:     map[string]string{meta.ReconcileRequestAnnotation: "t1", ForceRequestAnnotation: "t1"},
			lastHandled:     "t1",
			wantLastHandled: "t1",
		},
		{
			name:            "reconcile request already handled",
			annotations:     map[string]string{meta.ReconcileRequestAnnotation: "t1", ForceRequestAnnotation: "t1"},
			lastReconcileAt: "t1",
			wantLastHandled: "t1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := &HelmRelease{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations}}
			hr.Status.LastHandledForceAt = tt.lastHandled
			hr.Status.LastHandledReconcileAt = tt.lastReconcileAt
			if got := ShouldHandleForceRequest(hr); got != tt.want {
				t.Errorf("ShouldHandleForceRequest() = %t, want %t", got, tt.want)
			}
			if hr.Status.LastHandledForceAt != tt.wantLastHandled {
				t.Errorf("lastHandledForceAt = %q, want %q", hr.Status.LastHandledForceAt, tt.wantLastHandled)
			}
		})
	}
}

func TestShouldHandleResetRequest(t *testing.T) {
	hr := &HelmRelease{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		meta.ReconcileRequestAnnotation: "t1", ResetRequestAnnotation: "t1",
	}}}
	if !ShouldHandleResetRequest(hr) {
		t.Fatal("first reset request should be handled")
	}
	if hr.Status.LastHandledResetAt != "t1" || hr.Status.LastHandledForceAt != "" {
		t.Fatalf("unexpected status %+v", hr.Status)
	}
	if ShouldHandleResetRequest(hr) {
		t.Fatal("a reset request should be handled once")
	}
}
