package cmd

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

func TestReconcileProgress(t *testing.T) {
	const token = "2026-05-01T10:00:00.123456789Z"
	condition := func(typ string, status metav1.ConditionStatus, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Message: msg}
	}
	object := func(handled string, observed int64, conds ...metav1.Condition) *sourcev1.GitRepository {
		obj := &sourcev1.GitRepository{}
		obj.Generation = 3
		obj.Status.LastHandledReconcileAt = handled
		obj.Status.ObservedGeneration = observed
		obj.Status.Conditions = conds
		return obj
	}
	readyTrue := condition(fluxmeta.ReadyCondition, metav1.ConditionTrue, "stored")
	readyFalse := condition(fluxmeta.ReadyCondition, metav1.ConditionFalse, "auth failed")
	readyUnknown := condition(fluxmeta.ReadyCondition, metav1.ConditionUnknown, "fetching")
	stalled := condition(fluxmeta.StalledCondition, metav1.ConditionTrue, "invalid URL")

	tests := []struct {
		name string
		obj  *sourcev1.GitRepository
		want progress
	}{
		{"not handled", object("", 3, readyTrue),
			progress{message: "the controller has not handled the request yet"}},
		{"older request handled", object("2026-05-01T09:00:00Z", 3, readyTrue),
			progress{message: "the controller has not handled the request yet"}},
		{"older generation", object(token, 2, readyTrue),
			progress{message: "the controller has not observed generation 3 yet"}},
		{"no Ready yet", object(token, 3),
			progress{message: "the controller has not reported Ready yet"}},
		{"still reconciling", object(token, 3, readyUnknown),
			progress{message: "fetching"}},
		{"ready", object(token, 3, readyTrue),
			progress{done: true, message: "stored"}},
		{"newer generation ready", object(token, 4, readyTrue),
			progress{done: true, message: "stored"}},
		{"not ready", object(token, 3, readyFalse),
			progress{done: true, failed: true, message: "auth failed"}},
		{"stalled", object(token, 3, readyUnknown, stalled),
			progress{done: true, failed: true, message: "invalid URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reconcileProgress(tt.obj, token, 3); got != tt.want {
				t.Errorf("reconcileProgress() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
