package cmd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// event returns an event of type typ about kind/name in ns that happened ago.
func event(ns, name, kind, object, typ, reason, message string, ago time.Duration) *corev1.Event {
	at := metav1.NewTime(time.Now().Add(-ago))
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: object},
		Type:           typ, Reason: reason, Message: message, FirstTimestamp: at, LastTimestamp: at, Count: 1,
		Source: corev1.EventSource{Component: "kustomize-controller"},
	}
}

func TestEventsForObjectAndSource(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, gitRepository(ns, "repo"))
	create(t, kustomization(ns, "apps", "repo"))
	for _, ev := range []*corev1.Event{
		event(ns, "e1", sourcev1.GitRepositoryKind, "repo", "Normal", "NewArtifact", "stored artifact for commit 'Add app'", 3*time.Minute),
		event(ns, "e2", kustomizev1.KustomizationKind, "apps", "Warning", "ReconciliationFailed", "Deployment/default/web dry-run failed", 2*time.Minute),
		event(ns, "e3", kustomizev1.KustomizationKind, "apps", "Normal", "ReconciliationSucceeded", "Reconciliation finished", time.Minute),
		event(ns, "e4", kustomizev1.KustomizationKind, "other", "Normal", "ReconciliationSucceeded", "not about apps", time.Minute),
	} {
		create(t, ev)
	}
	res := ferry(t, "events", "--for", "Kustomization/apps", "-n", ns)
	if res.runErr != nil {
		t.Fatal(res.runErr)
	}
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "LAST SEEN   TYPE      REASON") {
		t.Fatalf("events printed:\n%s", res.out)
	}
	for i, want := range []string{"GitRepository/repo", "Kustomization/apps   Deployment/default/web dry-run failed", "Kustomization/apps   Reconciliation finished"} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("row %d = %q, want it to hold %q (oldest first)", i+1, lines[i+1], want)
		}
	}
	res = ferry(t, "events", "-n", ns, "--types", "Warning")
	if strings.Count(res.out, "\n") != 2 || !strings.Contains(res.out, "ReconciliationFailed") {
		t.Errorf("--types Warning printed:\n%s", res.out)
	}
	if res := ferry(t, "events", "-n", ns, "--types", "Bad"); res.runErr == nil {
		t.Error("an unknown type was accepted")
	}
}

func TestEventsWatch(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps", "repo"))
	create(t, event(ns, "old", kustomizev1.KustomizationKind, "apps", "Normal", "ReconciliationSucceeded", "first", time.Minute))
	var out lockedBuffer
	root := cmd.NewRootCommand(cmd.Options{Version: "test", Out: &out, Err: &out})
	root.SetArgs([]string{"--kubeconfig", env.Kubeconfig, "events", "-n", ns, "--watch", "--for", "Kustomization/apps"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() { cancel(); <-done }()
	waitPrinted(t, &out, "first")
	create(t, event(ns, "new", kustomizev1.KustomizationKind, "apps", "Warning", "HealthCheckFailed", "second", 0))
	create(t, event(ns, "other", kustomizev1.KustomizationKind, "other", "Warning", "HealthCheckFailed", "not for apps", 0))
	waitPrinted(t, &out, "HealthCheckFailed")
	if strings.Contains(out.String(), "not for apps") {
		t.Errorf("the watch printed another object's event:\n%s", out.String())
	}
}
