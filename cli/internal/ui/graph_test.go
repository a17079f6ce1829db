package ui_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/cli/internal/ui"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// ensureNamespace creates namespace name unless it exists.
func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// artifact is the status of a source that stored revision.
func artifact(revision, message string) map[string]any {
	st := ready(message)
	st["artifact"] = map[string]any{"path": "x.tar.gz", "url": "http://storage/x.tar.gz", "revision": revision,
		"digest":         "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		"lastUpdateTime": "2026-12-07T07:00:00Z"}
	return st
}

// TestGraphShowsSeed002 applies seed 002's objects as written (the GitRepository and
// Kustomization apps, the HelmRepository and HelmRelease ingress-nginx, image automation,
// the Slack Provider and Alert), writes the status their controllers would, and checks the
// graph the page reads: layers, source and reference edges, revisions and inventory.
func TestGraphShowsSeed002(t *testing.T) {
	ensureNamespace(t, "flux-system")
	ensureNamespace(t, "ingress-nginx")
	apply(t, seed002(t)...)
	patchStatus(t, sourcev1.GroupVersion.WithKind("GitRepository"), "flux-system", "apps", artifact("main@sha1:0123abcd", "stored artifact"))
	ksStatus := ready("Applied revision: main@sha1:0123abcd")
	ksStatus["lastAppliedRevision"] = "main@sha1:0123abcd"
	ksStatus["inventory"] = map[string]any{"entries": []any{
		map[string]any{"id": "production_my-app_apps_Deployment", "v": "v1"},
		map[string]any{"id": "production_my-app__Service", "v": "v1"},
	}}
	patchStatus(t, kustomizev1.GroupVersion.WithKind("Kustomization"), "flux-system", "apps", ksStatus)
	hrStatus := ready("Helm install succeeded")
	hrStatus["helmChart"] = "flux-system/ingress-nginx-ingress-nginx"
	patchStatus(t, helmv2.GroupVersion.WithKind("HelmRelease"), "ingress-nginx", "ingress-nginx", hrStatus)

	policy := ready("Latest image tag for ghcr.io/myorg/my-app resolved to 1.2.3")
	policy["latestRef"] = map[string]any{"name": "ghcr.io/myorg/my-app", "tag": "1.2.3"}
	patchStatus(t, imagev1.GroupVersion.WithKind("ImagePolicy"), "flux-system", "my-app", policy)

	p := serve(t, nil, ui.Options{})
	nodes, snap := p.graph(t)
	want := map[string]string{
		"GitRepository/flux-system/apps":           ui.LayerSource,
		"HelmRepository/flux-system/ingress-nginx": ui.LayerSource,
		"Kustomization/flux-system/apps":           ui.LayerDelivery,
		"HelmRelease/ingress-nginx/ingress-nginx":  ui.LayerDelivery,
		"ImageRepository/flux-system/my-app":       ui.LayerAutomation,
		"ImagePolicy/flux-system/my-app":           ui.LayerAutomation,
		"ImageUpdateAutomation/flux-system/my-app": ui.LayerAutomation,
		"Provider/flux-system/slack":               ui.LayerNotification,
		"Alert/flux-system/deployment-alerts":      ui.LayerNotification,
	}
	for id, layer := range want {
		n, ok := nodes[id]
		if !ok {
			t.Errorf("the graph lacks %s; warnings: %v", id, snap.Warnings)
			continue
		}
		if n.Layer != layer {
			t.Errorf("%s is in layer %q, want %q", id, n.Layer, layer)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	repo, ks, hr := nodes["GitRepository/flux-system/apps"], nodes["Kustomization/flux-system/apps"], nodes["HelmRelease/ingress-nginx/ingress-nginx"]
	if repo.Status != ui.StatusReady || repo.Revision != "main@sha1:0123abcd" || repo.Updated != "2026-12-07T07:00:00Z" {
		t.Errorf("GitRepository apps: status %s, revision %q, updated %q", repo.Status, repo.Revision, repo.Updated)
	}
	if ks.Source != repo.ID || ks.Revision != "main@sha1:0123abcd" || ks.Status != ui.StatusReady {
		t.Errorf("Kustomization apps: source %q, revision %q, status %s", ks.Source, ks.Revision, ks.Status)
	}
	var inv []string
	for _, e := range ks.Inventory {
		inv = append(inv, e.ID+" "+e.APIVersion)
	}
	if !slices.Equal(inv, []string{"Deployment/production/my-app apps/v1", "Service/production/my-app v1"}) {
		t.Errorf("inventory of apps = %v", inv)
	}
	if hr.Source != "HelmChart/flux-system/ingress-nginx-ingress-nginx" {
		t.Errorf("HelmRelease ingress-nginx has source %q, want its HelmChart", hr.Source)
	}
	refs := map[string][]string{
		"ImagePolicy/flux-system/my-app":           {"ImageRepository/flux-system/my-app"},
		"ImageUpdateAutomation/flux-system/my-app": {"GitRepository/flux-system/apps"},
		"Alert/flux-system/deployment-alerts":      {"Provider/flux-system/slack", "Kustomization/flux-system/*", "HelmRelease/flux-system/*"},
	}
	for id, want := range refs {
		if got := nodes[id].Refs; !slices.Equal(got, want) {
			t.Errorf("%s refers to %v, want %v", id, got, want)
		}
	}
	if got := nodes["ImageRepository/flux-system/my-app"].Status; got != ui.StatusReconciling {
		t.Errorf("an ImageRepository no controller has seen is %s, want Reconciling", got)
	}
	if got := nodes["ImagePolicy/flux-system/my-app"].Details; !slices.Equal(got, []string{"IMAGE: ghcr.io/myorg/my-app", "TAG: 1.2.3"}) {
		t.Errorf("the ImagePolicy's details are %v, want its image and tag", got)
	}
	if got := nodes["Alert/flux-system/deployment-alerts"].Status; got != ui.StatusReady {
		t.Errorf("an Alert (no status) is %s, want Ready", got)
	}
	if !ks.CanPatch || !ks.Reconcilable {
		t.Errorf("the administrator may not reconcile Kustomization apps: canPatch %v, reconcilable %v", ks.CanPatch, ks.Reconcilable)
	}
}

// TestStreamSendsChanges checks that the stream starts with the graph and then carries a
// Kustomization's failure, with its message, and its deletion.
func TestStreamSendsChanges(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ks := kustomization(ns, "apps")
	create(t, ks)
	p := serve(t, nil, ui.Options{Namespace: ns})
	s := p.openStream(t)
	name, data := s.next(t)
	var snap ui.Snapshot
	if err := json.Unmarshal([]byte(data), &snap); name != "snapshot" || err != nil {
		t.Fatalf("first event %q (%v), want the snapshot", name, err)
	}
	if len(snap.Nodes) != 1 || snap.Nodes[0].ID != "Kustomization/"+ns+"/apps" || snap.Namespace != ns {
		t.Fatalf("snapshot = %+v", snap)
	}

	const msg = "kustomization path not found: stat /tmp/apps: no such file or directory"
	patchStatus(t, kustomizev1.GroupVersion.WithKind("Kustomization"), ns, "apps", map[string]any{
		"observedGeneration": 1, "conditions": []any{condition("Ready", "False", "ArtifactFailed", msg)}})
	c := nextChange(t, s)
	if c.Type != "upsert" || c.Node.Status != ui.StatusFailed || c.Node.Message != msg || c.Node.Reason != "ArtifactFailed" {
		t.Errorf("change = %+v, want the Kustomization Failed with its message", c.Node)
	}

	if err := env.Client.Delete(context.Background(), ks); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, s); c.Type != "delete" || c.ID != "Kustomization/"+ns+"/apps" {
		t.Errorf("change = %+v, want the deletion", c)
	}
}

// nextChange reads the next change event of s.
func nextChange(t *testing.T, s *stream) ui.Change {
	t.Helper()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(testenv.Timeout):
			s.resp.Body.Close() // unblocks next, which then fails the test
		}
	}()
	name, data := s.next(t)
	var c ui.Change
	if err := json.Unmarshal([]byte(data), &c); name != "change" || err != nil {
		t.Fatalf("event %q (%v), want a change", name, err)
	}
	return c
}

// TestStatusFollowsKstatus checks the status of a node against its conditions; a failure
// the controller retries (Reconciling=True beside Ready=False) is Failed.
func TestStatusFollowsKstatus(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	for _, name := range []string{"ready", "failed", "retrying", "stalled", "reconciling", "old", "suspended"} {
		ks := kustomization(ns, name)
		ks.Spec.Suspend = name == "suspended"
		create(t, ks)
	}
	gvk := kustomizev1.GroupVersion.WithKind("Kustomization")
	patchStatus(t, gvk, ns, "ready", ready("Applied"))
	patchStatus(t, gvk, ns, "failed", map[string]any{"observedGeneration": 1, "conditions": []any{condition("Ready", "False", "BuildFailed", "bad")}})
	patchStatus(t, gvk, ns, "retrying", map[string]any{"observedGeneration": 1, "conditions": []any{
		condition("Ready", "False", "ArtifactFailed", "path not found"), condition("Reconciling", "True", "ProgressingWithRetry", "retrying")}})
	patchStatus(t, gvk, ns, "stalled", map[string]any{"observedGeneration": 1, "conditions": []any{
		condition("Ready", "False", "InvalidPath", "bad path"), condition("Stalled", "True", "InvalidPath", "bad path")}})
	patchStatus(t, gvk, ns, "reconciling", map[string]any{"observedGeneration": 1, "conditions": []any{
		condition("Ready", "Unknown", "Progressing", "applying"), condition("Reconciling", "True", "Progressing", "applying")}})
	patchStatus(t, gvk, ns, "old", map[string]any{"observedGeneration": 0, "conditions": []any{condition("Ready", "True", "Succeeded", "Applied")}})
	patchStatus(t, gvk, ns, "suspended", ready("Applied"))

	p := serve(t, nil, ui.Options{Namespace: ns})
	nodes, _ := p.graph(t)
	for name, want := range map[string]string{
		"ready": ui.StatusReady, "failed": ui.StatusFailed, "retrying": ui.StatusFailed, "stalled": ui.StatusStalled,
		"reconciling": ui.StatusReconciling, "old": ui.StatusReconciling, "suspended": ui.StatusSuspended,
	} {
		if got := nodes["Kustomization/"+ns+"/"+name].Status; got != want {
			t.Errorf("%s: status %s, want %s", name, got, want)
		}
	}
}

// kustomization returns a Kustomization named name in namespace.
func kustomization(ns, name string) *kustomizev1.Kustomization {
	obj := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	obj.Spec.Interval = metav1.Duration{Duration: 10 * time.Minute}
	obj.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"}
	return obj
}
