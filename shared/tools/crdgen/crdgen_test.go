package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	crdDir      = "../../../deploy/crds"
	surfaceFile = "../../testing/fixtures/testdata/surface.txt"
	compatDoc   = "../../../docs/api-compatibility.md"
)

// TestCRDsUpToDate regenerates the CRDs from the Go types and fails when deploy/crds differs:
// run `make generate` and commit the result.
func TestCRDsUpToDate(t *testing.T) {
	tmp := t.TempDir()
	if err := Generate("../..", tmp); err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Glob(filepath.Join(tmp, "*.yaml"))
	have, _ := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if len(want) != len(have) {
		t.Fatalf("deploy/crds has %d files, generation gives %d: run make generate", len(have), len(want))
	}
	for _, w := range want {
		a, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join(crdDir, filepath.Base(w)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("deploy/crds/%s is stale: run make generate", filepath.Base(w))
		}
	}
}

// TestSurfaceCoverage checks the CRDs against every field path of Flux's CRDs: at least 95 %
// must match, and each one that does not must be explained in docs/api-compatibility.md.
func TestSurfaceCoverage(t *testing.T) {
	rep, err := Coverage(surfaceFile, crdDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("API surface coverage: %d/%d field paths (%.1f%%)", rep.Matched, rep.Total, rep.Percent())
	if rep.Percent() < 95 {
		t.Errorf("coverage %.1f%% is below 95%%:\n%s", rep.Percent(), rep)
	}
	doc, _ := os.ReadFile(compatDoc)
	for _, m := range rep.Misses {
		entry := m.Line.Kind + " " + m.Line.Path
		if !strings.Contains(string(doc), entry) {
			t.Errorf("%q (%s) is not explained in docs/api-compatibility.md", entry, m.Reason)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.io}
spec:
  group: example.io
  names: {kind: Thing, plural: things}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [mode]
            properties:
              mode: {type: string, enum: [a, b]}
              tags: {type: array, items: {type: string}}
              labels: {type: object, additionalProperties: {type: string}}
              values: {x-kubernetes-preserve-unknown-fields: true}
`
	if err := os.WriteFile(filepath.Join(dir, "crd.yaml"), []byte(crd), 0o644); err != nil {
		t.Fatal(err)
	}
	surface := `example.io/v1 Thing spec object
example.io/v1 Thing spec.mode string enum=a|b required
example.io/v1 Thing spec.tags[] string
example.io/v1 Thing spec.labels{} string
example.io/v1 Thing spec.values any
example.io/v1 Thing spec.mode string enum=a|c required
example.io/v1 Thing spec.tags string
example.io/v1 Thing spec.missing string
example.io/v1 Thing spec.labels{} string required
example.io/v2 Thing spec object
`
	sf := filepath.Join(dir, "surface.txt")
	if err := os.WriteFile(sf, []byte(surface), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Coverage(sf, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Matched != 6 || len(rep.Misses) != 4 {
		t.Fatalf("matched %d, misses %d, want 6 and 4:\n%s", rep.Matched, len(rep.Misses), rep)
	}
}
