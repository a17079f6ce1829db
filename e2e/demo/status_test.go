package demo

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestObjectStatus(t *testing.T) {
	obj := func(kind string, generation, observed int64, ready string, status map[string]any) *unstructured.Unstructured {
		st := map[string]any{"observedGeneration": observed, "conditions": []any{
			map[string]any{"type": "Reconciling", "status": "True", "reason": "Progressing"},
			map[string]any{"type": "Ready", "status": ready, "reason": "Why", "message": "because"},
		}}
		for k, v := range status {
			st[k] = v
		}
		o := &unstructured.Unstructured{Object: map[string]any{"kind": kind, "status": st}}
		o.SetGeneration(generation)
		return o
	}
	artifact := map[string]any{"artifact": map[string]any{"revision": "master@sha1:abc"}}
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		want Status
	}{
		{"source ready", obj("GitRepository", 2, 2, "True", artifact), Status{Ready: true, Reason: "Why", Message: "because", Revision: "master@sha1:abc"}},
		{"old generation", obj("GitRepository", 3, 2, "True", artifact), Status{Reason: "Why", Message: "because", Revision: "master@sha1:abc"}},
		{"not ready", obj("HelmRepository", 1, 1, "False", nil), Status{Reason: "Why", Message: "because"}},
		{"kustomization", obj("Kustomization", 1, 1, "True", map[string]any{"lastAppliedRevision": "main@sha1:def", "lastAttemptedRevision": "main@sha1:123"}),
			Status{Ready: true, Reason: "Why", Message: "because", Revision: "main@sha1:def"}},
		{"helmrelease", obj("HelmRelease", 1, 1, "True", map[string]any{"lastAttemptedRevision": "1.1.0"}),
			Status{Ready: true, Reason: "Why", Message: "because", Revision: "1.1.0"}},
		{"never reconciled", &unstructured.Unstructured{Object: map[string]any{"kind": "HelmRelease"}}, Status{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObjectStatus(tt.obj); got != tt.want {
				t.Errorf("ObjectStatus = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDeploymentAvailable(t *testing.T) {
	d := func(generation, observed int64, replicas *int32, updated, available, total int32) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: generation},
			Spec: appsv1.DeploymentSpec{Replicas: replicas},
			Status: appsv1.DeploymentStatus{ObservedGeneration: observed, UpdatedReplicas: updated,
				AvailableReplicas: available, Replicas: total}}
	}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want bool
	}{
		{"rolled out", d(2, 2, replicasOf(3), 3, 3, 3), true},
		{"default one replica", d(1, 1, nil, 1, 1, 1), true},
		{"spec not observed", d(3, 2, replicasOf(3), 3, 3, 3), false},
		{"scaling up", d(2, 2, replicasOf(4), 4, 3, 4), false},
		{"old pods left", d(2, 2, replicasOf(2), 2, 2, 3), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DeploymentAvailable(tt.d); got != tt.want {
				t.Errorf("DeploymentAvailable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChartVersionLine(t *testing.T) {
	chart := "apiVersion: v2\nname: hello\nversion: 1.0.0\nappVersion: \"1.0.0\"\ndescription: x version: y\n"
	want := "apiVersion: v2\nname: hello\nversion: \"1.1.0\"\nappVersion: \"1.1.0\"\ndescription: x version: y\n"
	if got := chartVersionLine.ReplaceAllString(chart, `$1: "1.1.0"`); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func replicasOf(n int32) *int32 { return &n }
