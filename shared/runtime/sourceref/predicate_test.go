package sourceref_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

func TestArtifactChanged(t *testing.T) {
	chart := func(digest, readyMsg string, observed int64) *sourcev1.HelmChart {
		hc := &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Name: "c", Generation: 2}}
		hc.Status.ObservedGeneration = observed
		if digest != "" {
			hc.Status.Artifact = &fluxmeta.Artifact{Digest: digest, URL: "http://a/" + digest}
		}
		if readyMsg != "" {
			conditions.MarkTrue(hc, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, readyMsg)
		}
		return hc
	}
	tests := []struct {
		name     string
		old, new *sourcev1.HelmChart
		want     bool
	}{
		{name: "nothing changed", old: chart("d1", "ok", 2), new: chart("d1", "ok", 2)},
		{name: "new artifact", old: chart("d1", "ok", 2), new: chart("d2", "ok", 2), want: true},
		{name: "first artifact", old: chart("", "", 1), new: chart("d1", "ok", 2), want: true},
		{name: "ready message", old: chart("d1", "ok", 2), new: chart("d1", "failed", 2), want: true},
		{name: "caught up with the spec", old: chart("d1", "ok", 1), new: chart("d1", "ok", 2), want: true},
		{name: "same digest, new revision", old: chart("d1", "ok", 2), new: withRevision(chart("d1", "ok", 2), "1.0.0+abc"), want: true},
		{name: "new generation", old: chart("d1", "ok", 2), new: withGeneration(chart("d1", "ok", 2), 3), want: true},
		{name: "new URL", old: chart("d1", "ok", 2), new: withURL(chart("d1", "ok", 2), "http://new/d1"), want: true},
		{name: "artifact gone", old: chart("d1", "ok", 2), new: chart("", "ok", 2), want: true},
	}
	p := sourceref.ArtifactChanged()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Update(event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}); got != tt.want {
				t.Fatalf("Update = %v, want %v", got, tt.want)
			}
		})
	}
	if !p.Create(event.CreateEvent{Object: chart("", "", 0)}) || !p.Create(event.CreateEvent{Object: chart("d", "ok", 2)}) {
		t.Fatal("Create passes: a consumer may be waiting for the source to exist")
	}
	if !p.Delete(event.DeleteEvent{Object: chart("d", "ok", 2)}) || p.Generic(event.GenericEvent{Object: chart("d", "ok", 2)}) {
		t.Fatal("Delete passes, Generic does not")
	}
}

func withRevision(hc *sourcev1.HelmChart, rev string) *sourcev1.HelmChart {
	hc.Status.Artifact.Revision = rev
	return hc
}

func withGeneration(hc *sourcev1.HelmChart, g int64) *sourcev1.HelmChart {
	hc.Generation = g
	return hc
}

func withURL(hc *sourcev1.HelmChart, url string) *sourcev1.HelmChart {
	hc.Status.Artifact.URL = url
	return hc
}
