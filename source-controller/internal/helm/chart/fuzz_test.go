package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"
)

// chartArchive packs files (slash path -> content) as a .tgz, the way a chart repository
// serves a chart.
func chartArchive(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzLoadArchive loads a packaged chart downloaded from a repository, then packages it again
// as source-controller does for a HelmChart artifact. Whatever the archive: no panic;
// packaging writes only <name>-<version>.tgz inside its directory, whatever the chart calls
// itself; the same chart packages to the same bytes twice; and the package loads back to
// the same metadata, values, templates and files.
func FuzzLoadArchive(f *testing.F) {
	f.Add(chartArchive(f, map[string]string{
		"app/Chart.yaml": chartYAML("app", "1.0.0", ""), "app/values.yaml": "a: 1\n",
		"app/templates/cm.yaml": "kind: ConfigMap\n", "app/charts/sub/Chart.yaml": chartYAML("sub", "0.1.0", ""),
	}))
	f.Add(chartArchive(f, map[string]string{"x/Chart.yaml": chartYAML("../../escape", "1.0.0", "")}))
	f.Add(chartArchive(f, map[string]string{"x/Chart.yaml": chartYAML("a/b", "1.0.0/../../x", "")}))
	f.Add(chartArchive(f, map[string]string{"x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 1.0.0\n", "x/files/../../y": "z"}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		in := filepath.Join(parent, "in.tgz")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadArchive(in)
		if err != nil {
			return
		}
		out := filepath.Join(parent, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := Package(c, out)
		if entries, _ := os.ReadDir(parent); len(entries) != 2 {
			t.Fatalf("packaging chart %q wrote outside its directory: %v", c.Name(), entries)
		}
		if err != nil {
			return
		}
		if filepath.Dir(p) != out || strings.ContainsAny(filepath.Base(p), "/\\") {
			t.Fatalf("packaged as %q", p)
		}
		first, _ := os.ReadFile(p)
		again := t.TempDir()
		p2, err := Package(c, again)
		if err != nil {
			t.Fatalf("the second packaging failed: %v", err)
		}
		if second, _ := os.ReadFile(p2); !bytes.Equal(first, second) {
			t.Fatal("the same chart packaged to different bytes")
		}
		back, err := LoadArchive(p)
		if err != nil {
			t.Fatalf("the package of a loaded chart does not load: %v", err)
		}
		if !sameChart(c, back) {
			t.Fatalf("chart %q does not read back the same", c.Name())
		}
	})
}

// sameChart compares what a package carries of two charts, dependencies included.
func sameChart(a, b *helmchart.Chart) bool {
	files := func(fs []*helmchart.File) map[string]string {
		m := map[string]string{}
		for _, f := range fs {
			m[f.Name] = string(f.Data)
		}
		return m
	}
	if !reflect.DeepEqual(a.Metadata, b.Metadata) || !reflect.DeepEqual(files(a.Templates), files(b.Templates)) ||
		!reflect.DeepEqual(files(a.Files), files(b.Files)) || !reflect.DeepEqual(a.Values, b.Values) ||
		len(a.Dependencies()) != len(b.Dependencies()) {
		return false
	}
	da, db := sortedDeps(a), sortedDeps(b)
	for i := range da {
		if !sameChart(da[i], db[i]) {
			return false
		}
	}
	return true
}

// sortedDeps returns the dependencies of c by name and version (archives list them in any
// order).
func sortedDeps(c *helmchart.Chart) []*helmchart.Chart {
	deps := slices.Clone(c.Dependencies())
	slices.SortStableFunc(deps, func(x, y *helmchart.Chart) int {
		return strings.Compare(x.Name()+"@"+x.Metadata.Version, y.Name()+"@"+y.Metadata.Version)
	})
	return deps
}
