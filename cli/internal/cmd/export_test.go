package cmd_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestExport(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps", "repo"))
	create(t, kustomization(ns, "infra", "repo"))
	setStatus(t, kustomization(ns, "apps", "repo"), readyTrueKs("Applied revision: main@sha1:1"))

	res := ferry(t, "export", "ks", "--all", "-n", ns)
	docs := documents(t, res.out)
	if res.runErr != nil || len(docs) != 2 {
		t.Fatalf("export --all: %d documents, %v", len(docs), res.runErr)
	}
	want := map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "apps", "namespace": ns},
		"spec": map[string]any{"interval": "10m0s", "prune": false,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "repo"}},
	}
	for _, d := range diff("", docs[0], want) {
		t.Error(d)
	}
	res = ferry(t, "export", "kustomization", "infra", "-n", ns)
	if docs := documents(t, res.out); len(docs) != 1 || docs[0]["metadata"].(map[string]any)["name"] != "infra" {
		t.Errorf("export infra printed %s", res.out)
	}
	if res := ferry(t, "export", "ks", "-n", ns); res.runErr == nil {
		t.Error("export without a name or --all succeeded")
	}
	if res := ferry(t, "export", "ks", "missing", "-n", ns); res.runErr == nil || !strings.Contains(res.runErr.Error(), "not found") {
		t.Errorf("export of a missing object: %v", res.runErr)
	}
}

func TestDelete(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ks := kustomization(ns, "apps", "repo")
	create(t, ks)
	opts := clitest.Options{Kubeconfig: env.Kubeconfig, Timeout: testenv.Timeout}
	res := clitest.Run(t, opts, "delete", "ks", "apps", "-n", ns)
	if res.RunErr == nil || res.RunErr.Error() != "delete cancelled" {
		t.Errorf("delete without confirmation: %v", res.RunErr)
	}
	opts.Stdin = "y\n"
	res = clitest.Run(t, opts, "delete", "ks", "apps", "-n", ns)
	if res.RunErr != nil || !strings.Contains(res.Err, "✔ kustomization deleted") {
		t.Errorf("delete: %v\n%s", res.RunErr, res.Err)
	}
	err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(ks), ks)
	if !apierrors.IsNotFound(err) {
		t.Errorf("the Kustomization is still there: %v", err)
	}
	create(t, gitRepository(ns, "repo"))
	if res := ferry(t, "delete", "source", "git", "repo", "-n", ns, "--silent"); res.runErr != nil {
		t.Errorf("delete --silent: %v", res.runErr)
	}
}

// readyTrueKs marks a Kustomization Ready.
func readyTrueKs(message string) func(*kustomizev1.Kustomization) {
	return func(obj *kustomizev1.Kustomization) { readyTrue(message)(obj) }
}
