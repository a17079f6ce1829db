package cmd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// observe runs a controller for the objects of kind k in namespace until the test ends:
// each object whose generation it has not observed gets observedGeneration and answer.
func observe(t *testing.T, k *kinds.Kind, namespace string, answer answer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(testenv.Interval / 5)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			l := k.NewList()
			if err := env.Client.List(ctx, l, client.InNamespace(namespace)); err != nil {
				continue
			}
			objs, _ := itemsOf(l)
			for _, obj := range objs {
				so := obj.(fluxmeta.StatusObject)
				if so.GetObjectStatus().ObservedGeneration >= obj.GetGeneration() {
					continue
				}
				so.GetObjectStatus().ObservedGeneration = obj.GetGeneration()
				answer(so)
				if err := env.Client.Status().Update(ctx, obj); err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
					t.Errorf("simulated %s controller: %v", k, err)
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCreateAppliesAndWaits(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	observe(t, kindOf(t, sourcev1.GitRepositoryKind), ns, func(obj fluxmeta.StatusObject) {
		storeArtifact("main@sha1:feed")(obj.(*sourcev1.GitRepository))
	})
	args := []string{"create", "source", "git", "podinfo", "-n", ns, "--url=https://github.com/stefanprodan/podinfo", "--branch=main", "--label=team=web"}
	res := ferry(t, args...)
	if res.runErr != nil {
		t.Fatal(res.runErr)
	}
	for _, want := range []string{
		"✚ generating GitRepository source",
		"► applying GitRepository/" + ns + "/podinfo",
		"✔ GitRepository/" + ns + "/podinfo created",
		"◎ waiting for GitRepository reconciliation",
		"✔ GitRepository reconciliation completed (revision main@sha1:feed)",
	} {
		if !strings.Contains(res.err, want) {
			t.Errorf("the progress report lacks %q", want)
		}
	}
	repo := gitRepository(ns, "podinfo")
	fetch(t, repo)
	if repo.Spec.Reference.Branch != "main" || repo.Labels["team"] != "web" {
		t.Errorf("spec.ref = %+v, labels = %v", repo.Spec.Reference, repo.Labels)
	}
	res = ferry(t, append(args[:len(args)-2], "--branch=dev")...)
	if res.runErr != nil || !strings.Contains(res.err, "podinfo updated") {
		t.Errorf("a second create did not update: %v", res.runErr)
	}
}

func TestCreateFailsWithReadyMessage(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	observe(t, kindOf(t, sourcev1.GitRepositoryKind), ns, readyFalse("failed to checkout and determine revision: authentication required"))
	res := ferry(t, "create", "source", "git", "private", "-n", ns, "--url=https://git.example.com/private", "--branch=main")
	want := "GitRepository/private not ready: failed to checkout and determine revision: authentication required"
	if res.runErr == nil || res.runErr.Error() != want {
		t.Errorf("error = %v, want %q", res.runErr, want)
	}
}

// TestCreateImageAutomationAlias runs seed 001's command as written: it needs the
// ImageRepository, then creates an ImageUpdateAutomation on the flux-system
// GitRepository that updates ./deploy.
func TestCreateImageAutomationAlias(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	args := []string{"-n", ns, "create", "image", "automation", "my-app", "--image-ref=ImageRepository/my-app", "--update-path=./deploy", "--interval=5m"}
	res := ferry(t, args...)
	if res.runErr == nil || !strings.Contains(res.runErr.Error(), "ImageRepository/"+ns+"/my-app not found") {
		t.Fatalf("error = %v, want the missing ImageRepository named", res.runErr)
	}
	observe(t, kindOf(t, imagev1.ImageRepositoryKind), ns, readyTrue("successful scan: found 3 tags"))
	observe(t, kindOf(t, imagev1.ImageUpdateAutomationKind), ns, readyTrue("repository up-to-date"))
	if res := ferry(t, "-n", ns, "create", "image", "repository", "my-app", "--image=myregistry/my-app", "--interval=1m"); res.runErr != nil {
		t.Fatal(res.runErr)
	}
	if res := ferry(t, args...); res.runErr != nil {
		t.Fatal(res.runErr)
	}
	var auto imagev1.ImageUpdateAutomation
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "my-app"}, &auto); err != nil {
		t.Fatal(err)
	}
	if auto.Spec.SourceRef.Kind != sourcev1.GitRepositoryKind || auto.Spec.SourceRef.Name != "flux-system" ||
		auto.Spec.Update == nil || auto.Spec.Update.Path != "./deploy" || auto.Spec.Update.Strategy != imagev1.UpdateStrategySetters ||
		auto.Spec.Interval.Duration != 5*time.Minute {
		t.Errorf("automation spec = %+v", auto.Spec)
	}
}

// TestCreateSourceGitCredentials stores -u/-p in a Secret named after the source, which
// the source refers to; --export prints the source alone, as flux does.
func TestCreateSourceGitCredentials(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	observe(t, kindOf(t, sourcev1.GitRepositoryKind), ns, readyTrue("stored artifact for revision 'main@sha1:1'"))
	args := []string{"create", "source", "git", "private", "-n", ns, "--url=https://git.example.com/private", "--branch=main",
		"--username=git", "--password=t0ken"}
	res := ferry(t, append(args, "--export")...)
	if docs := documents(t, res.out); len(docs) != 1 || docs[0]["spec"].(map[string]any)["secretRef"] != nil {
		t.Errorf("--export printed\n%s", res.out)
	}
	if res := ferry(t, args...); res.runErr != nil {
		t.Fatal(res.runErr)
	}
	var secret corev1.Secret
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "private"}, &secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["username"]) != "git" || string(secret.Data["password"]) != "t0ken" {
		t.Errorf("secret data = %v", secret.Data)
	}
	repo := gitRepository(ns, "private")
	fetch(t, repo)
	if repo.Spec.SecretRef == nil || repo.Spec.SecretRef.Name != "private" {
		t.Errorf("secretRef = %v", repo.Spec.SecretRef)
	}
}
