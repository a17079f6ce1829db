package kustomization

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
)

func TestUnion(t *testing.T) {
	a := &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{{ID: "ns_b__ConfigMap", Version: "v1"}, {ID: "ns_a_apps_Deployment", Version: "v1beta1"}}}
	b := &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{{ID: "ns_a_apps_Deployment", Version: "v1"}, {ID: "ns_c__Secret", Version: "v1"}}}
	got := union(a, b).Entries
	want := []fluxmeta.ResourceRef{{ID: "ns_a_apps_Deployment", Version: "v1"}, {ID: "ns_b__ConfigMap", Version: "v1"}, {ID: "ns_c__Secret", Version: "v1"}}
	if len(got) != len(want) {
		t.Fatalf("union = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("union[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if n := len(union(nil, nil).Entries); n != 0 {
		t.Errorf("union of nothing has %d entries", n)
	}
}

func TestSummary(t *testing.T) {
	ref := func(kind, name string) apply.ObjectRef {
		return apply.ObjectRef{Kind: kind, Namespace: "ns", Name: name, Version: "v1"}
	}
	applied := &apply.ChangeSet{Entries: []apply.Change{
		{Ref: ref("ConfigMap", "a"), Action: apply.Created},
		{Ref: ref("ConfigMap", "b"), Action: apply.Unchanged},
		{Ref: ref("Deployment", "web"), Action: apply.Configured},
		{Ref: ref("Secret", "s"), Action: apply.Skipped},
	}}
	pruned := &apply.ChangeSet{Entries: []apply.Change{{Ref: ref("Service", "old"), Action: apply.Deleted}}}
	want := "ConfigMap/ns/a created\nDeployment/ns/web configured\nService/ns/old deleted"
	if got := summary(applied, nil, pruned); got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestWaitsCancelledByNewRevision(t *testing.T) {
	w := newWaits()
	nn := types.NamespacedName{Namespace: "ns", Name: "app"}
	ctx, done := w.start(context.Background(), nn, "rev1", time.Minute)
	w.cancelUnless(nn, "rev1")
	if ctx.Err() != nil {
		t.Fatal("the same revision must not cancel the health check")
	}
	w.cancelUnless(nn, "rev2")
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("ctx.Err() = %v, want canceled", ctx.Err())
	}
	if !done() {
		t.Error("done must report the check as superseded")
	}
	w.cancelUnless(nn, "rev3") // nothing running: no effect
}
