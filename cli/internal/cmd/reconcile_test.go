package cmd_test

import (
	"strings"
	"testing"
	"time"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// requestHandled checks that obj carries a reconcile request in flux's time format and
// that status.lastHandledReconcileAt answers it; it returns the request time.
func requestHandled(t *testing.T, obj fluxmeta.StatusObject) time.Time {
	t.Helper()
	token, ok := fluxmeta.GetRequestedAt(obj)
	if !ok {
		t.Fatalf("%s has no %s annotation", obj.GetName(), fluxmeta.ReconcileRequestAnnotation)
	}
	at, err := time.Parse(time.RFC3339Nano, token)
	if err != nil {
		t.Errorf("the request %q is not an RFC 3339 time: %v", token, err)
	}
	if got := obj.GetObjectStatus().LastHandledReconcileAt; got != token {
		t.Errorf("lastHandledReconcileAt = %q, want %q", got, token)
	}
	return at
}

func TestReconcileWaitsForReady(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo := gitRepository(ns, "podinfo")
	create(t, repo)
	simulate(t, kindOf(t, sourcev1.GitRepositoryKind), ns, func(obj fluxmeta.StatusObject) {
		storeArtifact("main@sha1:cafe")(obj.(*sourcev1.GitRepository))
	})

	before := time.Now()
	res := ferry(t, "reconcile", "source", "git", "podinfo", "-n", ns, "--timeout", "15s")
	if res.runErr != nil {
		t.Fatalf("reconcile: %v", res.runErr)
	}
	fetch(t, repo)
	if at := requestHandled(t, repo); at.Before(before.Add(-time.Second)) {
		t.Errorf("the request time %v is older than the command", at)
	}
	if !conditions.IsReady(repo) {
		t.Errorf("the repository is not Ready: %+v", repo.Status.Conditions)
	}
	for _, want := range []string{
		"► annotating GitRepository podinfo in " + ns + " namespace",
		"✔ GitRepository annotated",
		"◎ waiting for GitRepository reconciliation",
		"✔ GitRepository reconciliation completed (revision main@sha1:cafe)",
	} {
		if !strings.Contains(res.err, want) {
			t.Errorf("the progress report lacks %q:\n%s", want, res.err)
		}
	}
}

func TestReconcileFailsWithReadyMessage(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, gitRepository(ns, "repo"))
	create(t, kustomization(ns, "apps", "repo"))
	simulate(t, kindOf(t, kustomizev1.KustomizationKind), ns,
		readyFalse("kustomization path not found: stat /tmp/apps: no such file or directory"))

	res := ferry(t, "reconcile", "ks", "apps", "-n", ns, "--timeout", "15s")
	if res.runErr == nil {
		t.Fatal("reconcile succeeded, want the Ready=False message as an error")
	}
	want := "failed to reconcile Kustomization " + ns + "/apps: kustomization path not found: stat /tmp/apps: no such file or directory"
	if res.runErr.Error() != want {
		t.Errorf("error = %q, want %q", res.runErr, want)
	}
	ks := kustomization(ns, "apps", "repo")
	fetch(t, ks)
	requestHandled(t, ks)
}

func TestReconcileWithSource(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo, ks := gitRepository(ns, "repo"), kustomization(ns, "apps", "repo")
	create(t, repo)
	create(t, ks)
	simulate(t, kindOf(t, sourcev1.GitRepositoryKind), ns, readyTrue("stored artifact"))
	simulate(t, kindOf(t, kustomizev1.KustomizationKind), ns, readyTrue("applied"))

	res := ferry(t, "reconcile", "kustomization", "apps", "-n", ns, "--with-source", "--timeout", "15s")
	if res.runErr != nil {
		t.Fatalf("reconcile --with-source: %v", res.runErr)
	}
	fetch(t, repo)
	fetch(t, ks)
	sourceAt, ksAt := requestHandled(t, repo), requestHandled(t, ks)
	if !sourceAt.Before(ksAt) {
		t.Errorf("the source was requested at %v, not before the Kustomization (%v)", sourceAt, ksAt)
	}
	if i, j := strings.Index(res.err, "GitRepository reconciliation completed"), strings.Index(res.err, "annotating Kustomization"); i < 0 || j < i {
		t.Errorf("the source was not reconciled first:\n%s", res.err)
	}
}

func TestReconcileRefusesSuspended(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo := gitRepository(ns, "frozen")
	repo.Spec.Suspend = true
	create(t, repo)

	res := ferry(t, "reconcile", "source", "git", "frozen", "-n", ns)
	if res.runErr == nil || !strings.Contains(res.runErr.Error(), "is suspended") {
		t.Fatalf("error = %v, want one saying the object is suspended", res.runErr)
	}
	fetch(t, repo)
	if _, ok := fluxmeta.GetRequestedAt(repo); ok {
		t.Error("a suspended object was annotated")
	}
}

func TestReconcileTimesOutWithoutController(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, gitRepository(ns, "orphan"))

	res := ferry(t, "reconcile", "source", "git", "orphan", "-n", ns, "--timeout", "1s")
	if res.runErr == nil {
		t.Fatal("reconcile succeeded without a controller")
	}
	for _, want := range []string{"failed to wait for GitRepository " + ns + "/orphan", "has not handled the request"} {
		if !strings.Contains(res.runErr.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", res.runErr, want)
		}
	}
}

func TestReconcileMissingObject(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	res := ferry(t, "reconcile", "hr", "ghost", "-n", ns)
	if res.runErr == nil || !strings.Contains(res.runErr.Error(), "failed to get HelmRelease "+ns+"/ghost") {
		t.Errorf("error = %v, want a failure to get the HelmRelease", res.runErr)
	}
}
