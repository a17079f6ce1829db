package patch

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

func TestStatusOf(t *testing.T) {
	k := &kustomizev1.Kustomization{Status: kustomizev1.KustomizationStatus{LastAppliedRevision: "main@sha1:1"}}
	got, err := statusOf(k)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := got.(kustomizev1.KustomizationStatus); !ok || s.LastAppliedRevision != "main@sha1:1" {
		t.Fatalf("typed status = %#v", got)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"phase": "Ready"}}}
	got, err = statusOf(u)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := got.(map[string]any); !ok || s["phase"] != "Ready" {
		t.Fatalf("unstructured status = %#v", got)
	}
}

func TestStatusMergePatch(t *testing.T) {
	before := kustomizev1.KustomizationStatus{
		ObjectStatus: fluxmeta.ObjectStatus{
			Conditions: []metav1.Condition{{Type: fluxmeta.ReadyCondition, Status: metav1.ConditionFalse, Reason: "Progressing"}},
		},
		LastAppliedRevision: "main@sha1:1",
	}
	after := before
	after.LastAppliedRevision = "main@sha1:2"
	after.LastAppliedOriginRevision = "v1"
	after.Conditions = []metav1.Condition{{Type: fluxmeta.ReadyCondition, Status: metav1.ConditionTrue, Reason: "ReconciliationSucceeded"}}
	data, err := statusMergePatch(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":{"conditions":[{"lastTransitionTime":null,"message":"","reason":"ReconciliationSucceeded","status":"True","type":"Ready"}],"lastAppliedOriginRevision":"v1","lastAppliedRevision":"main@sha1:2"}}`
	if string(data) != want {
		t.Fatalf("patch = %s\nwant    %s", data, want)
	}
	after.LastAppliedOriginRevision = ""
	after.Conditions = nil
	data, err = statusMergePatch(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":{"conditions":null,"lastAppliedRevision":"main@sha1:2"}}`; string(data) != want {
		t.Fatalf("patch = %s\nwant    %s", data, want)
	}
}
