package index

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// FuzzParse feeds a repository's index.yaml to Parse, Ferry's streaming reader. Whatever the
// input: no panic; every version it keeps is semver and newest first; the index written back
// (as YAML and as JSON) parses to the same index (a parse → serialise round trip is
// stable); and when a full YAML decoder reads the same block-style document, both agree on
// every chart version, URL and digest.
func FuzzParse(f *testing.F) {
	f.Add(getIndex)
	f.Add(`{"apiVersion":"v1","entries":{"a":[{"version":"1.0.0"}]}}`)
	f.Add("apiVersion: v1\nentries:\n  a: [{version: 1.0.0}]\n")
	f.Add("apiVersion: v1\nentries:\n  a:\n  - version: 1.0.0\n    urls: [x.tgz]\n  - version: 1.0.0-rc.1\n    digest: abc\ngenerated: now\n")
	f.Add("apiVersion: v1\nentries:\n  \"a b\":\n    - version: \"2\"\n      urls:\n        - 'y.tgz'\n")
	f.Fuzz(func(t *testing.T, s string) {
		x, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		checkOrdered(t, x)
		for _, format := range []string{"yaml", "json"} {
			written := serialise(t, x, format)
			back, err := Parse(bytes.NewReader(written))
			if err != nil {
				t.Fatalf("the index written as %s does not parse: %v\n%s", format, err, written)
			}
			if got, want := flatten(back), flatten(x); !slices.Equal(got, want) {
				t.Fatalf("the index written as %s reads back differently:\n got %q\nwant %q\n%s", format, got, want, written)
			}
		}
		if !startsWithBrace(bufioReader(s)) {
			agreesWithFullDecode(t, s, x)
		}
	})
}

// checkOrdered checks that every version of x is semver and that they come newest first.
func checkOrdered(t *testing.T, x *Index) {
	t.Helper()
	for _, name := range x.Charts() {
		vs := x.entries[name]
		for i, v := range vs {
			if v.semver == nil || v.Name != name {
				t.Fatalf("chart %q holds %+v", name, v)
			}
			if i > 0 && v.semver.GreaterThan(vs[i-1].semver) {
				t.Fatalf("chart %q: %s comes after %s", name, v.Version, vs[i-1].Version)
			}
		}
		if _, err := x.Get(name, "*"); err != nil && len(vs) > 0 && vs[0].semver.Prerelease() == "" {
			t.Fatalf("Get(%q, *) = %v with %d versions", name, err, len(vs))
		}
	}
}

// flatten lists every chart version of x as "name|version|digest|url,url", in index order.
func flatten(x *Index) []string {
	var out []string
	for _, name := range x.Charts() {
		for _, v := range x.entries[name] {
			out = append(out, fmt.Sprintf("%q|%q|%q|%q", name, v.Version, v.Digest, v.URLs))
		}
	}
	return out
}

// serialise writes x as an index.yaml in Helm's block layout, or as JSON.
func serialise(t *testing.T, x *Index, format string) []byte {
	t.Helper()
	entries := map[string][]rawVersion{}
	for _, name := range x.Charts() {
		for _, v := range x.entries[name] {
			entries[name] = append(entries[name], rawVersion{Version: v.Version, URLs: v.URLs, Digest: v.Digest})
		}
	}
	doc := struct {
		APIVersion string                  `yaml:"apiVersion" json:"apiVersion"`
		Entries    map[string][]rawVersion `yaml:"entries" json:"entries"`
	}{x.APIVersion, entries}
	var out []byte
	var err error
	if format == "json" {
		out, err = json.Marshal(doc)
	} else {
		out, err = yaml.Marshal(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// agreesWithFullDecode decodes s whole with yaml.v3 and, when that succeeds on an index
// whose every version is a plain mapping, checks that Parse kept the same chart versions.
func agreesWithFullDecode(t *testing.T, s string, x *Index) {
	t.Helper()
	var doc struct {
		APIVersion string                  `yaml:"apiVersion"`
		Entries    map[string][]rawVersion `yaml:"entries"`
	}
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || doc.APIVersion == "" {
		return
	}
	want := &Index{APIVersion: doc.APIVersion, entries: map[string][]Version{}}
	names := make([]string, 0, len(doc.Entries))
	for name := range doc.Entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, r := range doc.Entries[name] {
			want.add(name, r)
		}
	}
	want.sortEntries()
	if got, w := flatten(x), flatten(want); !slices.Equal(got, w) {
		t.Fatalf("Parse and a full YAML decode disagree:\n  Parse %q\n  YAML  %q", got, w)
	}
}

// bufioReader wraps s for startsWithBrace.
func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
