package index

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/repo"
)

func TestParseLayouts(t *testing.T) {
	tests := []struct {
		name  string
		index string
		want  map[string][]string // chart -> versions, newest first
	}{
		{name: "helm layout", index: `apiVersion: v1
entries:
  alpine:
  - apiVersion: v2
    created: "2024-01-01T00:00:00Z"
    description: |
      A chart.

      key: value
      - not an item
    digest: abc
    name: alpine
    urls:
    - https://example.com/alpine-0.1.0.tgz
    version: 0.1.0
  - name: alpine
    urls:
    - alpine-0.2.0.tgz
    version: 0.2.0
  nginx:
  - name: nginx
    version: 1.0.0-rc.1
generated: "2024-01-01T00:00:00Z"
`, want: map[string][]string{"alpine": {"0.2.0", "0.1.0"}, "nginx": {"1.0.0-rc.1"}}},
		{name: "indented lists, comments and document marker", index: `---
# a comment
entries:
    "alpine":   # the chart
        - name: alpine
          version: "1.0.0"

        # between versions
        - {name: alpine, version: 2.0.0, urls: [a.tgz]}
apiVersion: v1
`, want: map[string][]string{"alpine": {"2.0.0", "1.0.0"}}},
		{name: "flow versions of one chart", index: "apiVersion: v1\nentries:\n  a: [{name: a, version: 1.0.0},\n     {name: a, version: 1.1.0}]\n  b: []\n", want: map[string][]string{"a": {"1.1.0", "1.0.0"}, "b": nil}},
		{name: "invalid versions left out", index: "apiVersion: v1\nentries:\n  a:\n  - version: latest\n  - version: 1.0.0\n  - name: a\n", want: map[string][]string{"a": {"1.0.0"}}},
		{name: "empty entries", index: "apiVersion: v1\nentries: {}\n", want: map[string][]string{}},
		{name: "json", index: `{"apiVersion":"v1","generated":"x","entries":{"a":[{"version":"1.0.0","urls":["a.tgz"]},{"version":"2.0.0"}],"b":null},"serverInfo":{"x":[1,2]}}`,
			want: map[string][]string{"a": {"2.0.0", "1.0.0"}, "b": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Parse(strings.NewReader(tt.index))
			if err != nil {
				t.Fatal(err)
			}
			if x.APIVersion != "v1" {
				t.Errorf("apiVersion = %q", x.APIVersion)
			}
			got := map[string][]string{}
			for name, versions := range x.entries {
				var vs []string
				for _, v := range versions {
					vs = append(vs, v.Version)
				}
				got[name] = vs
			}
			if len(got) != len(tt.want) {
				t.Fatalf("charts = %v, want %v", got, tt.want)
			}
			for name, want := range tt.want {
				if strings.Join(got[name], ",") != strings.Join(want, ",") {
					t.Errorf("versions of %s = %v, want %v", name, got[name], want)
				}
			}
		})
	}
}

func TestParseRefusesCorruptIndexes(t *testing.T) {
	tests := []struct{ name, index, want string }{
		{"empty", "", "no apiVersion"},
		{"html", "<html><body>Not Found</body></html>\n", "not a Helm repository index"},
		{"no apiVersion", "entries:\n  a:\n  - version: 1.0.0\n", "no apiVersion"},
		{"bad yaml in a version", "apiVersion: v1\nentries:\n  a:\n  - version: [1.0.0\n    name: a\n", `version of chart "a" at line 4`},
		{"list instead of charts", "apiVersion: v1\nentries:\n  - a\n", "list item where a chart name was expected"},
		{"map instead of versions", "apiVersion: v1\nentries:\n  a:\n    version: 1.0.0\n", `expected a list of versions of chart "a"`},
		{"bad indentation", "apiVersion: v1\nentries:\n    a:\n    - version: 1.0.0\n  b:\n", "unexpected indentation"},
		{"flow entries", "apiVersion: v1\nentries: {a: []}\n", "flow style"},
		{"bad apiVersion", "apiVersion: [v1\n", `field "apiVersion" at line 1`},
		{"truncated json", `{"apiVersion":"v1","entries":{"a":[{"version":"1.0.0"`, "unexpected EOF"},
		{"two documents", "apiVersion: v1\n---\napiVersion: v2\n", "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.index))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestParseAgreesWithHelm parses an index written by Helm's own repo package and compares
// every entry with what Helm loads from it.
func TestParseAgreesWithHelm(t *testing.T) {
	hx := repo.NewIndexFile()
	for i, v := range []string{"1.0.0", "1.2.0", "2.0.0-beta.1", "0.9.1+build.7", "10.0.0"} {
		for _, name := range []string{"alpha", "beta-chart"} {
			md := &chart.Metadata{APIVersion: "v2", Name: name, Version: v, Description: "line one\nline two: with colon\n- dash", Keywords: []string{"a", "b"},
				Maintainers: []*chart.Maintainer{{Name: "m", Email: "m@example.com"}}, Annotations: map[string]string{"k": "v: w"}}
			if err := hx.MustAdd(md, name+"-"+v+".tgz", "https://charts.example.com/sub", strings.Repeat("ab", 32)[:62]+string(rune('a'+i))+"f"); err != nil {
				t.Fatal(err)
			}
		}
	}
	hx.SortEntries()
	path := filepath.Join(t.TempDir(), "index.yaml")
	if err := hx.WriteFile(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := repo.LoadIndexFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, versions := range loaded.Entries {
		if len(x.entries[name]) != len(versions) {
			t.Fatalf("%s: %d versions, Helm loads %d", name, len(x.entries[name]), len(versions))
		}
		for i, hv := range versions {
			v := x.entries[name][i]
			if v.Version != hv.Version || v.Digest != hv.Digest || strings.Join(v.URLs, " ") != strings.Join(hv.URLs, " ") || v.Name != hv.Name {
				t.Errorf("%s[%d] = %+v, Helm loads %s %s %v", name, i, v, hv.Version, hv.Digest, hv.URLs)
			}
			want, err := loaded.Get(name, hv.Version)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Get(name, hv.Version)
			if err != nil || got.Version != want.Version {
				t.Errorf("Get(%s, %s) = %s, %v; Helm gets %s", name, hv.Version, got.Version, err, want.Version)
			}
		}
	}
}
