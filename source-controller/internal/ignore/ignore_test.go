package ignore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestExclude(t *testing.T) {
	tree := map[string]string{
		"app/.sourceignore": "*.yaml\n!keep.yaml\n",
		"app/a.yaml":        "", "app/keep.yaml": "", "b.yaml": "",
	}
	spec := "b.yaml\n!app/a.yaml\n"
	tests := []struct {
		name  string
		spec  *string
		path  string
		isDir bool
		want  bool
	}{
		{"default git dir", nil, ".git", true, true},
		{"default ci file", nil, ".travis.yml", false, true},
		{"default image", nil, "docs/x.png", false, true},
		{"nested sourceignore", nil, "app/a.yaml", false, true},
		{"sourceignore scoped", nil, "b.yaml", false, false},
		{"negation", nil, "app/keep.yaml", false, false},
		{"spec replaces defaults", &spec, "x.png", false, false},
		{"spec keeps the git dir out", &spec, ".git", true, true},
		{"spec adds", &spec, "b.yaml", false, true},
		{"spec overrules sourceignore", &spec, "app/a.yaml", false, false},
		{"directory", nil, ".github", true, true},
		{"root", nil, "", true, false},
	}
	root := writeTree(t, tree)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(root, tt.spec, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Exclude(tt.path, tt.isDir); got != tt.want {
				t.Errorf("Exclude(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

// FuzzPatterns reads spec.ignore (and .sourceignore files, same syntax) from untrusted text.
// Whatever the patterns and path: no panic; the verdict on a path does not depend on how it
// is spelled ("a//b", "./a/b/"); and adding a pattern that is not a negation never brings
// back a path that was excluded.
func FuzzPatterns(f *testing.F) {
	f.Add("*.yaml\n!keep.yaml\n", "tmp/", "a/b.yaml")
	f.Add("**/x/\n[a-", "!x", "x/y")
	f.Add("/deploy/**\n!deploy/keep/\n", "*.md", "deploy/keep/a.md")
	f.Fuzz(func(t *testing.T, text, extra, p string) {
		if (Matcher{}).Exclude(p, false) {
			t.Fatal("a matcher without patterns excluded a path")
		}
		m, err := New(t.TempDir(), &text, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, isDir := range []bool{false, true} {
			got := m.Exclude(p, isDir)
			for _, spelled := range []string{"./" + p, p + "/", strings.ReplaceAll(p, "/", "//")} {
				if m.Exclude(spelled, isDir) != got {
					t.Fatalf("Exclude(%q) = %v but Exclude(%q) = %v", p, got, spelled, !got)
				}
			}
			if strings.HasPrefix(strings.TrimSpace(extra), "!") || strings.Contains(extra, "\n") {
				continue
			}
			more := text + "\n" + extra
			m2, err := New(t.TempDir(), &more, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got && !m2.Exclude(p, isDir) {
				t.Fatalf("adding %q to the patterns brought %q back", extra, p)
			}
		}
	})
}
