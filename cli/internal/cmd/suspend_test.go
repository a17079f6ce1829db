package cmd_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestSuspendAndResume(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ks := kustomization(ns, "apps", "repo")
	create(t, ks)
	simulate(t, kindOf(t, kustomizev1.KustomizationKind), ns, readyTrue("applied"))

	res := ferry(t, "suspend", "ks", "apps", "-n", ns)
	if res.runErr != nil {
		t.Fatalf("suspend: %v", res.runErr)
	}
	fetch(t, ks)
	if !ks.Spec.Suspend {
		t.Fatal("spec.suspend is not set after suspend")
	}
	if !strings.Contains(res.err, "✔ Kustomization suspended") {
		t.Errorf("suspend reported:\n%s", res.err)
	}

	res = ferry(t, "resume", "kustomization", "apps", "-n", ns, "--timeout", "15s")
	if res.runErr != nil {
		t.Fatalf("resume: %v", res.runErr)
	}
	fetch(t, ks)
	if ks.Spec.Suspend {
		t.Error("spec.suspend is still set after resume")
	}
	requestHandled(t, ks)
	if !conditions.IsReady(ks) {
		t.Errorf("resume returned before the Kustomization was Ready: %+v", ks.Status)
	}
	if !strings.Contains(res.err, "✔ Kustomization reconciliation completed") {
		t.Errorf("resume reported:\n%s", res.err)
	}
}

func TestResumeFailsWithReadyMessage(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo := gitRepository(ns, "repo")
	repo.Spec.Suspend = true
	create(t, repo)
	simulate(t, kindOf(t, sourcev1.GitRepositoryKind), ns, readyFalse("failed to checkout: reference not found"))

	res := ferry(t, "resume", "source", "git", "repo", "-n", ns, "--timeout", "15s")
	want := "failed to reconcile GitRepository " + ns + "/repo: failed to checkout: reference not found"
	if res.runErr == nil || res.runErr.Error() != want {
		t.Errorf("error = %v, want %q", res.runErr, want)
	}
}

func TestSuspendAndResumeAll(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	names := []string{"one", "two"}
	for _, name := range names {
		hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
		hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: name}
		create(t, hr)
	}
	suspended := func() []bool {
		var out []bool
		for _, name := range names {
			hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			fetch(t, hr)
			out = append(out, hr.Spec.Suspend)
		}
		return out
	}

	if res := ferry(t, "suspend", "hr", "--all", "-n", ns); res.runErr != nil {
		t.Fatalf("suspend --all: %v", res.runErr)
	}
	if got := suspended(); got[0] != true || got[1] != true {
		t.Fatalf("spec.suspend after suspend --all = %v, want all true", got)
	}
	if res := ferry(t, "resume", "hr", "--all", "--wait=false", "-n", ns); res.runErr != nil {
		t.Fatalf("resume --all: %v", res.runErr)
	}
	if got := suspended(); got[0] != false || got[1] != false {
		t.Fatalf("spec.suspend after resume --all = %v, want all false", got)
	}
}

func TestSuspendAndResumeStaticKind(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	provider := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "slack"}}
	provider.Spec.Type = "generic"
	create(t, provider)

	for _, step := range []struct {
		verb string
		want bool
	}{{"suspend", true}, {"resume", false}} {
		// A Provider has no status: resume must not wait for one.
		res := ferry(t, step.verb, "alert-provider", "slack", "-n", ns, "--timeout", "5s")
		if res.runErr != nil {
			t.Fatalf("%s: %v", step.verb, res.runErr)
		}
		fetch(t, provider)
		if provider.Spec.Suspend != step.want {
			t.Errorf("spec.suspend after %s = %v, want %v", step.verb, provider.Spec.Suspend, step.want)
		}
	}
	if _, ok := fluxmeta.GetRequestedAt(provider); !ok {
		t.Error("resume did not request a reconciliation")
	}
	if k, _ := kinds.ByKind(notificationv1beta3.ProviderKind); k.HasStatus() {
		t.Error("Provider is expected to have no status")
	}
}
