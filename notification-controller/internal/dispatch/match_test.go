package dispatch

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// labels is a LabelReader over a fixed map.
type labels map[string]map[string]string

func (l labels) Labels(_ context.Context, ev *events.Event) (map[string]string, error) {
	m, ok := l[ev.InvolvedObject.Name]
	if !ok {
		return nil, errors.New("not found")
	}
	return m, nil
}

// TestMatch: which event sources select which events.
func TestMatch(t *testing.T) {
	ev := func(kind, ns, name, apiVersion, severity, msg string) *events.Event {
		return &events.Event{InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name, APIVersion: apiVersion},
			Severity: severity, Message: msg}
	}
	ks := "kustomize.toolkit.fluxcd.io/v1"
	src := func(s notificationv1.CrossNamespaceObjectReference) []notificationv1.CrossNamespaceObjectReference {
		return []notificationv1.CrossNamespaceObjectReference{s}
	}
	tests := []struct {
		name    string
		spec    notificationv1beta3.AlertSpec
		ev      *events.Event
		noCross bool
		want    bool
	}{
		{"name and default namespace", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "apps"})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, true},
		{"other namespace by default", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "apps"})},
			ev("Kustomization", "other", "apps", ks, "info", "m"), false, false},
		{"explicit namespace", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*", Namespace: "other"})},
			ev("Kustomization", "other", "apps", ks, "info", "m"), false, true},
		{"explicit namespace refused", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*", Namespace: "other"})},
			ev("Kustomization", "other", "apps", ks, "info", "m"), true, false},
		{"glob", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "app-?"})},
			ev("Kustomization", "flux", "app-1", ks, "info", "m"), false, true},
		{"kind", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "HelmRelease", Name: "*"})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, false},
		{"apiVersion group", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*", APIVersion: "kustomize.toolkit.fluxcd.io/v1beta2"})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, true},
		{"other apiVersion group", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*", APIVersion: "example.com/v1"})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, false},
		{"labels", notificationv1beta3.AlertSpec{EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*", MatchLabels: map[string]string{"team": "a"}})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, true},
		{"error severity", notificationv1beta3.AlertSpec{EventSeverity: "error", EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*"})},
			ev("Kustomization", "flux", "apps", ks, "info", "m"), false, false},
		{"exclusion is stronger", notificationv1beta3.AlertSpec{InclusionList: []string{"deploy"}, ExclusionList: []string{"test"},
			EventSources: src(notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "*"})},
			ev("Kustomization", "flux", "apps", ks, "info", "deploy test"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &matcher{noCrossNamespace: tt.noCross, labels: labels{"apps": {"team": "a"}}, filters: map[types.UID]*filters{}}
			a := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Namespace: "flux", Name: "a", UID: "u"}, Spec: tt.spec}
			got, err := m.matches(context.Background(), a, tt.ev)
			if err != nil || got != tt.want {
				t.Fatalf("matches = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestEnrich: eventMetadata never replaces the event's own keys; the summary is added.
func TestEnrich(t *testing.T) {
	a := &notificationv1beta3.Alert{Spec: notificationv1beta3.AlertSpec{Summary: "s", EventMetadata: map[string]string{"env": "prod", "revision": "x"}}}
	got := enrich(a, events.Event{Metadata: map[string]string{"revision": "r"}})
	if got.Metadata["revision"] != "r" || got.Metadata["env"] != "prod" || got.Metadata["summary"] != "s" {
		t.Fatalf("metadata %v", got.Metadata)
	}
}

// TestEnrichObjectMetadata: the object's event.toolkit.fluxcd.io/ annotations arrive without
// the prefix, below the Alert's eventMetadata and the controller's own keys.
func TestEnrichObjectMetadata(t *testing.T) {
	a := &notificationv1beta3.Alert{Spec: notificationv1beta3.AlertSpec{EventMetadata: map[string]string{"env": "prod"}}}
	got := enrich(a, events.Event{Metadata: map[string]string{
		"revision": "r",
		events.ObjectMetadataPrefix + "change_request": "42",
		events.ObjectMetadataPrefix + "revision":       "tenant",
		events.ObjectMetadataPrefix + "env":            "dev",
	}})
	want := map[string]string{"revision": "r", "change_request": "42", "env": "prod"}
	if len(got.Metadata) != len(want) {
		t.Fatalf("metadata %v, want %v", got.Metadata, want)
	}
	for k, v := range want {
		if got.Metadata[k] != v {
			t.Fatalf("metadata %v, want %v", got.Metadata, want)
		}
	}
}
