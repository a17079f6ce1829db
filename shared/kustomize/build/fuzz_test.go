package build

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// outsideMarker is a value only the files outside the source root hold.
const outsideMarker = "outside-the-source-root"

// FuzzBuild builds a fuzzed kustomization.yaml and a fuzzed manifest from a source root that
// also holds a sound base, beside a directory outside the root whose files hold
// outsideMarker (reachable by "..", an absolute path or a symlink). Whatever the input: no
// panic; nothing outside the root reaches the output; the build writes nothing, inside the
// root or out; and building twice gives the same objects.
func FuzzBuild(f *testing.F) {
	f.Add("resources: [cm.yaml]\n", configMap)
	f.Add("resources: [../../etc]\n", configMap)
	f.Add("resources: [../../outside]\n", configMap)
	f.Add("resources: [link.yaml, ../base]\n", configMap)
	f.Add("resources: [linkdir]\n", configMap)
	f.Add("configMapGenerator:\n- name: g\n  files: [../../outside/cm.yaml]\n", configMap)
	f.Add("patches:\n- path: link.yaml\nresources: [../base]\n", configMap)
	f.Add("patches:\n- patch: '- op: remove\n  path: /x'\n  target: {kind: ConfigMap}\nresources: [cm.yaml]\n", configMap)
	f.Add("secretGenerator:\n- name: s\n  files: [cm.yaml]\n", "a: [")
	f.Add("resources: [cm.yaml]\nnamespace: x\nnamePrefix: p-\n", "apiVersion: v1\nkind: List\nitems:\n- {}\n")
	f.Fuzz(func(t *testing.T, kustomization, manifest string) {
		parent := t.TempDir()
		root := filepath.Join(parent, "root")
		outside := filepath.Join(parent, "outside")
		writeTree(t, parent, map[string]string{
			"outside/kustomization.yaml":   "resources: [cm.yaml]\n",
			"outside/cm.yaml":              strings.ReplaceAll(configMap, "k: v", "k: "+outsideMarker),
			"root/base/kustomization.yaml": "resources: [cm.yaml]\n",
			"root/base/cm.yaml":            configMap,
			"root/app/link.yaml":           "->" + filepath.Join(outside, "cm.yaml"),
			"root/app/linkdir":             "->../../outside",
		})
		for name, content := range map[string]string{"kustomization.yaml": kustomization, "cm.yaml": manifest} {
			if err := os.WriteFile(filepath.Join(root, "app", name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(t, parent)
		spec := &kustomizev1.KustomizationSpec{TargetNamespace: "fuzz"}
		opts := Options{Root: root, Path: "app", NoRemoteBases: true}
		objs, err := Build(spec, opts)
		if after := snapshot(t, parent); !maps.Equal(before, after) {
			t.Fatal("the build changed files")
		}
		if err != nil {
			return
		}
		out, err := json.Marshal(objs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), outsideMarker) && !strings.Contains(kustomization+manifest, outsideMarker) {
			t.Fatalf("a file outside the source root reached the output:\n%s", out)
		}
		again, err := Build(spec, opts)
		if err != nil {
			t.Fatalf("the second build failed: %v", err)
		}
		if out2, _ := json.Marshal(again); string(out2) != string(out) {
			t.Fatalf("two builds differ:\n%s\n%s", out, out2)
		}
	})
}
