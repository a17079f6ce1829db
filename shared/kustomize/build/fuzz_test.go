package build

import (
	"os"
	"path/filepath"
	"testing"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// FuzzBuild builds a fuzzed kustomization and a fuzzed manifest: the build may fail but must
// not panic.
func FuzzBuild(f *testing.F) {
	f.Add("resources: [cm.yaml]\n", configMap)
	f.Add("resources: [../../etc]\n", configMap)
	f.Add("patches:\n- patch: '- op: remove\n  path: /x'\n  target: {kind: ConfigMap}\nresources: [cm.yaml]\n", configMap)
	f.Add("secretGenerator:\n- name: s\n  files: [cm.yaml]\n", "a: [")
	f.Add("resources: [cm.yaml]\nnamespace: x\nnamePrefix: p-\n", "apiVersion: v1\nkind: List\nitems:\n- {}\n")
	f.Fuzz(func(t *testing.T, kustomization, manifest string) {
		root := t.TempDir()
		for name, content := range map[string]string{"app/kustomization.yaml": kustomization, "app/cm.yaml": manifest} {
			p := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		spec := &kustomizev1.KustomizationSpec{TargetNamespace: "fuzz"}
		_, _ = Build(spec, Options{Root: root, Path: "app", NoRemoteBases: true})
	})
}
