package chart

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func chartYAML(name, version, deps string) string {
	return "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n" + deps
}

func TestLoadDirWithDependencies(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"charts/app/Chart.yaml": chartYAML("app", "1.0.0", "dependencies:\n- name: vendored\n  version: 0.1.0\n"+
			"- name: lib\n  version: 0.2.0\n  repository: file://../lib\n- name: remote\n  version: 1.x\n  repository: https://charts.example.com\n"),
		"charts/app/values.yaml":                "a: 1\n",
		"charts/app/templates/cm.yaml":          "kind: ConfigMap\n",
		"charts/app/charts/vendored/Chart.yaml": chartYAML("vendored", "0.1.0", ""),
		"charts/lib/Chart.yaml":                 chartYAML("lib", "0.2.0", ""),
	})
	var asked string
	fetch := func(_ context.Context, repo, name, version string) (*helmchart.Chart, error) {
		asked = repo + " " + name + " " + version
		return &helmchart.Chart{Metadata: &helmchart.Metadata{APIVersion: "v2", Name: name, Version: "1.5.0"}}, nil
	}
	c, err := LoadDir(context.Background(), root, "./charts/app", LoadOptions{MaxFileSize: 1 << 20, Fetch: fetch})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range c.Dependencies() {
		names = append(names, d.Name()+"@"+d.Metadata.Version)
	}
	if got := strings.Join(names, ","); got != "vendored@0.1.0,lib@0.2.0,remote@1.5.0" || asked != "https://charts.example.com remote 1.x" {
		t.Fatalf("dependencies = %s (fetched %q)", got, asked)
	}
	out, err := Package(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadArchive(out)
	if err != nil || len(back.Dependencies()) != 3 || filepath.Base(out) != "app-1.0.0.tgz" {
		t.Fatalf("round trip: %s, %v", out, err)
	}
}

func TestLoadDirRefusals(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"lib/Chart.yaml": chartYAML("lib", "1.0.0", "")})
	writeFiles(t, root, map[string]string{
		"escape/Chart.yaml":  chartYAML("escape", "1.0.0", "dependencies:\n- name: lib\n  version: 1.0.0\n  repository: file://../../"+filepath.Base(outside)+"/lib\n"),
		"missing/Chart.yaml": chartYAML("missing", "1.0.0", "dependencies:\n- name: gone\n  version: 1.0.0\n"),
		"alias/Chart.yaml":   chartYAML("alias", "1.0.0", "dependencies:\n- name: x\n  version: 1.0.0\n  repository: \"@stable\"\n"),
		"remote/Chart.yaml":  chartYAML("remote", "1.0.0", "dependencies:\n- name: x\n  version: 1.0.0\n  repository: https://example.com\n"),
		"big/Chart.yaml":     chartYAML("big", "1.0.0", ""),
		"big/files/big.txt":  strings.Repeat("x", 2048),
		"notachart/README":   "hi",
	})
	tests := map[string]string{
		"escape":    "leaves the source artifact",
		"missing":   `dependency "gone" has no repository`,
		"alias":     "is not supported",
		"remote":    "remote repositories are not available",
		"big":       `chart file "files/big.txt" is 2048 bytes`,
		"notachart": "it holds no Chart.yaml",
		"nowhere":   "it holds no Chart.yaml",
		"../..":     "it holds no Chart.yaml",
	}
	for path, want := range tests {
		t.Run(path, func(t *testing.T) {
			_, err := LoadDir(context.Background(), root, path, LoadOptions{MaxFileSize: 1024})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want %q", err, want)
			}
		})
	}
	failing := func(context.Context, string, string, string) (*helmchart.Chart, error) {
		return nil, errors.New("no such version")
	}
	if _, err := LoadDir(context.Background(), root, "remote", LoadOptions{Fetch: failing}); err == nil || !strings.Contains(err.Error(), "no such version") {
		t.Fatalf("fetch error = %v", err)
	}
}

func TestMergeValues(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"a.yaml":   "image:\n  repository: app\n  tag: \"1\"\nlist: [1, 2]\nkeep: true\n",
		"b.yaml":   "image:\n  tag: \"2\"\nlist: [3]\n",
		"bad.yaml": "image: [\n",
	})
	v, used, err := MergeFileValues(root, []string{"a.yaml", "missing.yaml", "b.yaml"}, true)
	if err != nil {
		t.Fatal(err)
	}
	img := v["image"].(map[string]any)
	if img["repository"] != "app" || img["tag"] != "2" || len(v["list"].([]any)) != 1 || v["keep"] != true || strings.Join(used, ",") != "a.yaml,b.yaml" {
		t.Fatalf("merged = %v, used %v", v, used)
	}
	if _, _, err := MergeFileValues(root, []string{"missing.yaml"}, false); err == nil || !strings.Contains(err.Error(), `values file "missing.yaml" not found`) {
		t.Fatalf("missing: %v", err)
	}
	if _, _, err := MergeFileValues(root, []string{"bad.yaml"}, false); err == nil || !strings.Contains(err.Error(), `failed to parse values file "bad.yaml"`) {
		t.Fatalf("bad: %v", err)
	}
	c := &helmchart.Chart{Metadata: &helmchart.Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0"},
		Raw: []*helmchart.File{{Name: "values.yaml", Data: []byte("a: 1\nb: 1\n")}, {Name: "values-prod.yaml", Data: []byte("b: 2\n")}}}
	v, used, err = MergeChartValues(c, []string{"values.yaml", "values-prod.yaml"}, false)
	if err != nil || v["a"] != float64(1) || v["b"] != float64(2) || len(used) != 2 {
		t.Fatalf("chart values = %v, %v, %v", v, used, err)
	}
	if err := SetValues(c, v); err != nil || !strings.Contains(string(c.Raw[0].Data), "b: 2") {
		t.Fatalf("SetValues: %v %s", err, c.Raw[0].Data)
	}
}

func TestVersionWithMetadata(t *testing.T) {
	for in, want := range map[string]string{"1.2.3": "1.2.3+abcdef012345", "1.2.3+old": "1.2.3+abcdef012345", "1.0.0-rc.1": "1.0.0-rc.1+abcdef012345"} {
		if got, err := VersionWithMetadata(in, "abcdef012345"); err != nil || got != want {
			t.Errorf("%s: %s, %v", in, got, err)
		}
	}
	if _, err := VersionWithMetadata("1.0.0", "not valid!"); err == nil {
		t.Error("invalid metadata accepted")
	}
}

func TestPackageIsDeterministic(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"app/Chart.yaml":             chartYAML("app", "1.0.0", ""),
		"app/values.yaml":            "a: 1\n",
		"app/values.schema.json":     "{}",
		"app/templates/cm.yaml":      "kind: ConfigMap\n",
		"app/charts/sub/Chart.yaml":  chartYAML("sub", "0.1.0", ""),
		"app/charts/sub/files/x.txt": "x",
	})
	var digests []string
	for i := 0; i < 2; i++ {
		c, err := LoadDir(context.Background(), root, "app", LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := Package(c, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, string(data))
		back, err := LoadArchive(p)
		if err != nil || back.Schema == nil || len(back.Templates) != 1 || len(back.Dependencies()) != 1 || back.Values["a"] != float64(1) {
			t.Fatalf("round trip: %+v, %v", back, err)
		}
	}
	if digests[0] != digests[1] {
		t.Fatal("packaging the same chart twice gave different bytes")
	}
}
