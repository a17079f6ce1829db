package manifests

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestEmbeddedUpToDate fails when the embedded copy differs from the repository's deploy/:
// run `go generate ./internal/manifests` in cli/ (make build does) after changing deploy/.
func TestEmbeddedUpToDate(t *testing.T) {
	src := os.DirFS(filepath.Join("..", "..", "..", "deploy"))
	want := map[string][]byte{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".json")) {
			return err
		}
		want[p], err = fs.ReadFile(src, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	err = fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		got[p], err = fs.ReadFile(Files(), p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range want {
		if !bytes.Equal(got[p], data) {
			t.Errorf("embedded deploy/%s is stale or missing: run `go generate ./internal/manifests` in cli/", p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("embedded deploy/%s is gone from deploy/: run `go generate ./internal/manifests` in cli/", p)
		}
	}
}

// find returns the object of kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func TestBuildDefaults(t *testing.T) {
	objs, err := Build(Options{WatchAllNamespaces: true, NetworkPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range DefaultComponents {
		if find(objs, "Deployment", c) == nil {
			t.Errorf("no Deployment %s", c)
		}
	}
	for _, c := range ExtraComponents {
		if find(objs, "Deployment", c) != nil {
			t.Errorf("Deployment %s installed without --components-extra", c)
		}
	}
	if find(objs, "CustomResourceDefinition", "imagepolicies.image.toolkit.fluxcd.io") != nil {
		t.Error("image CRDs installed without the image controllers")
	}
	if find(objs, "CustomResourceDefinition", "kustomizations.kustomize.toolkit.fluxcd.io") == nil {
		t.Error("no Kustomization CRD")
	}
	if find(objs, "NetworkPolicy", "allow-egress") == nil {
		t.Error("no NetworkPolicy")
	}
	for _, o := range objs {
		if o.GetKind() != "Namespace" && o.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(o.GetKind(), "Cluster") &&
			o.GetNamespace() != "flux-system" {
			t.Errorf("%s %s is in namespace %q", o.GetKind(), o.GetName(), o.GetNamespace())
		}
		if o.GetLabels()["app.kubernetes.io/part-of"] != "ferry" {
			t.Errorf("%s %s has no part-of label", o.GetKind(), o.GetName())
		}
	}
}

func TestBuildOptions(t *testing.T) {
	objs, err := Build(Options{
		Namespace: "gitops", ComponentsExtra: ExtraComponents, Registry: "registry.example.com/ferry", Tag: "v1.2.3",
		ImagePullSecret: "regcred", ClusterDomain: "example.local", TolerationKeys: []string{"node.kubernetes.io/dedicated"},
		LogLevel: "debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	if find(objs, "NetworkPolicy", "allow-egress") != nil {
		t.Error("NetworkPolicy installed with --network-policy=false")
	}
	if find(objs, "Namespace", "gitops") == nil {
		t.Error("no Namespace gitops")
	}
	dep := find(objs, "Deployment", "image-automation-controller")
	if dep == nil {
		t.Fatal("no image-automation-controller with --components-extra")
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	if img := c["image"]; img != "registry.example.com/ferry/image-automation-controller:v1.2.3" {
		t.Errorf("image = %v", img)
	}
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	for _, want := range []string{"--watch-all-namespaces=false", "--log-level=debug"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %v lack %s", args, want)
		}
	}
	src := find(objs, "Deployment", "source-controller")
	containers, _, _ = unstructured.NestedSlice(src.Object, "spec", "template", "spec", "containers")
	args, _, _ = unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	if !slices.Contains(args, "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.example.local.") {
		t.Errorf("cluster domain not set: %v", args)
	}
	secrets, _, _ := unstructured.NestedSlice(src.Object, "spec", "template", "spec", "imagePullSecrets")
	tol, _, _ := unstructured.NestedSlice(src.Object, "spec", "template", "spec", "tolerations")
	if len(secrets) != 1 || len(tol) != 1 {
		t.Errorf("imagePullSecrets %v, tolerations %v", secrets, tol)
	}
	if _, err := Build(Options{Components: []string{"nope-controller"}}); err == nil {
		t.Error("an unknown component was accepted")
	}
}
