package build

import (
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// write creates the files (slash path to content) under a new directory.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas:=1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.0
        env: [{name: TAG, value: "${tag}"}]
        args: ["$HOME", "$${escaped}"]
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  raw: ${keep}
`

const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
`

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func TestBuild(t *testing.T) {
	dir := write(t, map[string]string{
		"deployment.yaml":          deployment,
		"config/settings.yaml":     configMap,
		"extra/kustomization.yaml": "resources: [service.yaml]\n",
		"extra/service.yaml":       service,
		"extra/ignored.yaml":       "not: listed\n",
		"README.md":                "# not a manifest\n",
	})
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: "flux-system"}}
	ks.Spec.TargetNamespace, ks.Spec.NamePrefix = "prod", "eu-"
	ks.Spec.Images = []fluxmeta.Image{{Name: "nginx", NewName: "registry.example.com/nginx"}}
	ks.Spec.Patches = []fluxmeta.Patch{{Patch: "apiVersion: v1\nkind: Service\nmetadata:\n  name: any\n  labels:\n    patched: \"yes\"\n",
		Target: &fluxmeta.Selector{Kind: "Service"}}}
	ks.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "web"}}
	ks.Spec.PostBuild = &kustomizev1.PostBuild{} // the variables come resolved, in Vars

	objs, err := Build(Options{Dir: dir, Kustomization: ks, Vars: map[string]string{"tag": "1.25.0", "keep": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("%d objects, want 3", len(objs))
	}
	dep := find(objs, "Deployment", "eu-web")
	if dep == nil || dep.GetNamespace() != "prod" {
		t.Fatalf("no Deployment eu-web in prod: %v", objs)
	}
	replicas, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	env, _, _ := unstructured.NestedSlice(c, "env")
	if replicas != 1 || c["image"] != "registry.example.com/nginx:1.0" || env[0].(map[string]any)["value"] != "1.25.0" || len(args) != 2 || args[0] != "$HOME" || args[1] != "${escaped}" {
		t.Errorf("replicas %d, image %v, args %v", replicas, c["image"], args)
	}
	labels := dep.GetLabels()
	if labels["team"] != "web" || labels[kustomizev1.NameLabel] != "apps" || labels[kustomizev1.NamespaceLabel] != "flux-system" {
		t.Errorf("labels = %v", labels)
	}
	cm := find(objs, "ConfigMap", "eu-settings")
	if raw, _, _ := unstructured.NestedString(cm.Object, "data", "raw"); raw != "${keep}" {
		t.Errorf("a disabled object was substituted: %q", raw)
	}
	svc := find(objs, "Service", "eu-web")
	if svc == nil || svc.GetLabels()["patched"] != "yes" {
		t.Errorf("the Service of extra/ is missing or unpatched: %v", svc)
	}
	if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); !os.IsNotExist(err) {
		t.Error("the build wrote into the directory")
	}

	if _, err := Build(Options{Dir: filepath.Join(dir, "missing"), Kustomization: ks}); err == nil {
		t.Error("a missing directory built")
	}
}
