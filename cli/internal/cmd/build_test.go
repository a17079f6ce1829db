package cmd_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// localDir writes files into a new directory and returns it.
func localDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const settings = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  region: ${region}
  size: ${size:=small}
`

// appsKustomization creates the Kustomization apps of ns that builds into ns with the
// variables of the ConfigMap vars and region=eu.
func appsKustomization(t *testing.T, ns string) *kustomizev1.Kustomization {
	t.Helper()
	ks := kustomization(ns, "apps", "repo")
	ks.Spec.TargetNamespace = ns
	ks.Spec.PostBuild = &kustomizev1.PostBuild{Substitute: map[string]string{"region": "eu"},
		SubstituteFrom: []kustomizev1.SubstituteReference{{Kind: "ConfigMap", Name: "vars"}}}
	create(t, ks)
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vars"},
		Data: map[string]string{"size": "large", "region": "us"}})
	return ks
}

func TestBuildKustomization(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	appsKustomization(t, ns)
	dir := localDir(t, map[string]string{"settings.yaml": settings})

	res := ferry(t, "build", "kustomization", "apps", "-n", ns, "--path", dir)
	docs := documents(t, res.out)
	if res.runErr != nil || len(docs) != 1 {
		t.Fatalf("build: %v\n%s", res.runErr, res.out)
	}
	want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "settings", "namespace": ns,
			"labels": map[string]any{kustomizev1.NameLabel: "apps", kustomizev1.NamespaceLabel: ns}},
		"data": map[string]any{"region": "eu", "size": "large"}}
	for _, d := range diff("", docs[0], want) {
		t.Error(d)
	}

	file := filepath.Join(t.TempDir(), "apps.yaml")
	ksYAML := "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: " + ns +
		"\nspec:\n  interval: 5m\n  prune: true\n  sourceRef: {kind: GitRepository, name: repo}\n  postBuild:\n    substitute: {region: ap}\n" +
		"    substituteFrom: [{kind: ConfigMap, name: vars}]\n"
	if err := os.WriteFile(file, []byte(ksYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	res = ferry(t, "build", "ks", "apps", "--path", dir, "--kustomization-file", file, "--dry-run", "--kubeconfig", "/nonexistent")
	if res.runErr != nil || !strings.Contains(res.out, "region: ap") || !strings.Contains(res.out, "size: small") {
		t.Errorf("dry-run build (no cluster, no substituteFrom): %v\n%s", res.runErr, res.out)
	}
	if res := ferry(t, "build", "ks", "apps", "--path", dir, "--dry-run"); res.runErr == nil {
		t.Error("--dry-run without --kustomization-file was accepted")
	}
}

func TestDiffKustomization(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	appsKustomization(t, ns)
	labels := map[string]string{kustomizev1.NameLabel: "apps", kustomizev1.NamespaceLabel: ns}
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings", Labels: labels},
		Data: map[string]string{"region": "eu", "size": "small"}})
	extra := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n"
	dir := localDir(t, map[string]string{"settings.yaml": settings, "extra.yaml": extra})

	res := ferry(t, "diff", "kustomization", "apps", "-n", ns, "--path", dir)
	if !errors.Is(res.runErr, cmd.ErrDiffers) {
		t.Fatalf("diff error = %v, want ErrDiffers", res.runErr)
	}
	for _, want := range []string{"► ConfigMap/" + ns + "/extra created", "► ConfigMap/" + ns + "/settings drifted"} {
		if !strings.Contains(res.err, want) {
			t.Errorf("diff lacks %q:\n%s", want, res.err)
		}
	}
	if want := "data.size\n  ± value change\n    - small\n    + large\n"; res.out != want {
		t.Errorf("diff printed\n%q\nwant\n%q", res.out, want)
	}

	dir = localDir(t, map[string]string{"settings.yaml": strings.Replace(settings, "${size:=small}", "small", 1)})
	if res := ferry(t, "diff", "ks", "apps", "-n", ns, "--path", dir); res.runErr != nil || res.out != "" {
		t.Errorf("diff of an applied build: %v\n%s", res.runErr, res.out)
	}
}
