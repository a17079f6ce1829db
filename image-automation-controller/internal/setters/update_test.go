package setters

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// TestUpdate: below the path, marked .yaml and .yml files are rewritten; files without a
// change, other extensions, .git, symbolic links and files outside the path are not
// touched; a marked file that does not parse is reported and left alone.
func TestUpdate(t *testing.T) {
	root := t.TempDir()
	marked := "image: ghcr.io/org/app:1.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"
	files := map[string]string{
		"apps/a.yaml":          marked,
		"apps/sub/b.yml":       "x: 1\n" + marked,
		"apps/current.yaml":    "image: ghcr.io/org/app:1.2.4 # {\"$imagepolicy\": \"flux-system:app\"}\n",
		"apps/plain.yaml":      "image: ghcr.io/org/app:1.0\n",
		"apps/notes.txt":       marked,
		"apps/broken.yaml":     "a: [\n" + marked,
		"apps/.git/c.yaml":     marked,
		"outside/d.yaml":       marked,
		"apps/chart/tpl.yaml":  "{{ .Values }}\n",
		"apps/unparsed.yaml":   "key: {{ template }}\n",
		"apps/e.yaml.disabled": marked,
	}
	for p, content := range files {
		gitserver.WriteFile(t, filepath.Join(root, filepath.FromSlash(p)), content)
	}
	if err := os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "apps", "link")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "apps", "current.yaml"), old, old); err != nil {
		t.Fatal(err)
	}
	res, err := Update(root, "./apps", testResolve)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Files, ","); got != "apps/a.yaml,apps/sub/b.yml" {
		t.Errorf("Files = %s", got)
	}
	if len(res.Changes) != 2 || res.Changes[0].File != "apps/a.yaml" || res.Changes[1].Line != 2 {
		t.Errorf("Changes = %+v", res.Changes)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].File != "apps/broken.yaml" || !strings.Contains(res.Skipped[0].Reason, "does not parse") {
		t.Errorf("Skipped = %+v", res.Skipped)
	}
	for p, content := range files {
		got, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		changed := p == "apps/a.yaml" || p == "apps/sub/b.yml"
		if (string(got) != content) != changed {
			t.Errorf("%s changed=%v:\n%s", p, !changed, got)
		}
	}
	if info, _ := os.Stat(filepath.Join(root, "apps", "current.yaml")); !info.ModTime().Equal(old) {
		t.Error("a file without a change was written")
	}
	for _, bad := range []string{"../x", "/etc", "missing"} {
		if _, err := Update(root, bad, testResolve); err == nil {
			t.Errorf("Update(%q) must fail", bad)
		}
	}
	if res, err := Update(root, "", testResolve); err != nil || len(res.Files) != 1 || res.Files[0] != "outside/d.yaml" {
		t.Errorf("Update of the root = %+v, %v", res, err)
	}
}
