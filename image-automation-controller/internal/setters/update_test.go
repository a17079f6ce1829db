package setters

import (
	"strings"
	"testing"
)

// TestResultApply: changes and skips of several files add up; a marked file that does not
// parse is skipped whole and comes back unchanged; only .yaml and .yml files are candidates.
func TestResultApply(t *testing.T) {
	var res Result
	marked := "image: ghcr.io/org/app:1.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"
	out, changed := res.Apply("apps/a.yaml", []byte(marked), testResolve)
	if !changed || !strings.Contains(string(out), "app:1.2.4") {
		t.Fatalf("Apply = %q, %v", out, changed)
	}
	broken := "a: [\n" + marked
	if out, changed := res.Apply("apps/broken.yaml", []byte(broken), testResolve); changed || string(out) != broken {
		t.Fatalf("a broken file came back %q, %v", out, changed)
	}
	if _, changed := res.Apply("apps/missing.yaml", []byte("image: x # {\"$imagepolicy\": \"flux-system:missing\"}\n"), testResolve); changed {
		t.Fatal("a marker of a missing policy changed the file")
	}
	if len(res.Changes) != 1 || res.Changes[0].File != "apps/a.yaml" {
		t.Errorf("Changes = %+v", res.Changes)
	}
	if len(res.Skipped) != 2 || !strings.Contains(res.Skipped[0].String(), "apps/broken.yaml: the file does not parse as YAML") ||
		res.Skipped[1].String() != "apps/missing.yaml:1: flux-system:missing: ImagePolicy 'flux-system/missing' does not exist" {
		t.Errorf("Skipped = %v", res.Skipped)
	}
	for p, want := range map[string]bool{"a.yaml": true, "b/c.yml": true, "d.json": false, "e.yaml.bak": false, "Kustomization": false} {
		if Candidate(p) != want {
			t.Errorf("Candidate(%q) = %v", p, !want)
		}
	}
}
