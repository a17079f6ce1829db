package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: v\n"

// writeTree writes files (path -> content; content "->target" makes a symlink) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	writeTreeTB(t, dir, files)
}

// writeTreeTB is writeTree for tests and benchmarks.
func writeTreeTB(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "%s", filepath.Base(filepath.Dir(p)))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot records every path, mode and content below dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		content := ""
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			content = string(b)
		}
		out[p] = info.Mode().String() + "|" + content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildStaysInsideTheRoot(t *testing.T) {
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	writeTree(t, tmp, map[string]string{
		"outside/kustomization.yaml":            "resources: [cm.yaml]\n",
		"outside/cm.yaml":                       configMap,
		"outside/patch.yaml":                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  stolen: x\n",
		"root/escape/kustomization.yaml":        "resources: [../../outside]\n",
		"root/linkfile/cm.yaml":                 "->" + filepath.Join(tmp, "outside/cm.yaml"),
		"root/linkdir/kustomization.yaml":       "resources: [dir]\n",
		"root/linkdir/dir":                      "->" + filepath.Join(tmp, "outside"),
		"root/relative-link/cm.yaml":            "->../../outside/cm.yaml",
		"root/patch/kustomization.yaml":         "resources: [cm.yaml]\npatches:\n- path: ../../outside/patch.yaml\n",
		"root/patch/cm.yaml":                    configMap,
		"root/inside/shared/cm.yaml":            configMap,
		"root/inside/app/kustomization.yaml":    "resources: [alias.yaml, ../shared]\n",
		"root/inside/app/alias.yaml":            "->../shared/cm.yaml",
		"root/inside/shared/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: s-\n",
		"root/afile.yaml":                       configMap,
	})
	before := snapshot(t, tmp)

	tests := []struct {
		name    string
		path    string
		wantErr []string
	}{
		{name: "a base above the root", path: "escape", wantErr: []string{`failed to build "escape"`, "../outside leaves the source root"}},
		{name: "a symlinked file pointing outside", path: "linkfile", wantErr: []string{"leaves the source root"}},
		{name: "a symlinked directory pointing outside", path: "linkdir", wantErr: []string{"leaves the source root"}},
		{name: "a relative symlink climbing out", path: "relative-link", wantErr: []string{"leaves the source root"}},
		{name: "a patch file above the root", path: "patch", wantErr: []string{"../outside/patch.yaml leaves the source root"}},
		{name: "spec.path above the root", path: "../outside", wantErr: []string{"leaves the source root"}},
		{name: "absolute spec.path", path: filepath.Join(tmp, "outside"), wantErr: []string{"must be relative"}},
		{name: "spec.path that does not exist", path: "nope", wantErr: []string{`path "nope" does not exist`}},
		{name: "spec.path that is a file", path: "afile.yaml", wantErr: []string{"not a directory"}},
		{name: "symlinks and bases inside the root are fine", path: "inside/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			objs, err := Build(nil, Options{Root: root, Path: tt.path})
			if tt.wantErr == nil {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(objs).To(HaveLen(2))
				return
			}
			g.Expect(err).To(HaveOccurred())
			for _, s := range tt.wantErr {
				g.Expect(err.Error()).To(ContainSubstring(s))
			}
			if tt.name != "absolute spec.path" {
				g.Expect(err.Error()).NotTo(ContainSubstring(tmp))
			}
		})
	}
	NewWithT(t).Expect(snapshot(t, tmp)).To(Equal(before), "the build wrote into the source")
}

func TestBuildRefusesRemoteBases(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"git/kustomization.yaml":         "resources:\n- github.com/org/repo//deploy?ref=v1.0.0\n",
		"https/kustomization.yaml":       "resources:\n- https://example.com/manifests/cm.yaml\n",
		"ssh/kustomization.yaml":         "resources:\n- git@example.com:org/repo.git\n",
		"nested/kustomization.yaml":      "resources: [../git]\n",
		"component/kustomization.yaml":   "components:\n- https://github.com/org/repo/components/x?ref=main\n",
		"legacy/kustomization.yaml":      "bases:\n- git::https://example.com/org/repo\n",
		"remotepatch/kustomization.yaml": "patches:\n- path: https://example.com/patch.yaml\n",
		"local/kustomization.yaml":       "resources: [cm.yaml]\n",
		"local/cm.yaml":                  configMap,
	})
	tests := []struct {
		path    string
		wantErr []string
	}{
		{"git", []string{"remote bases are not allowed", `"github.com/org/repo//deploy?ref=v1.0.0"`, "git/kustomization.yaml"}},
		{"https", []string{"remote bases are not allowed", "https://example.com/manifests/cm.yaml"}},
		{"ssh", []string{"remote bases are not allowed", "git@example.com:org/repo.git"}},
		{"nested", []string{"remote bases are not allowed", "in git/kustomization.yaml"}},
		{"component", []string{"remote bases are not allowed"}},
		{"legacy", []string{"remote bases are not allowed", "git::https://example.com/org/repo"}},
		{"remotepatch", []string{"remote bases are not allowed", "https://example.com/patch.yaml"}},
		{"local", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			g := NewWithT(t)
			objs, err := Build(&kustomizev1.KustomizationSpec{}, Options{Root: root, Path: tt.path, NoRemoteBases: true})
			if tt.wantErr == nil {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(objs).To(HaveLen(1))
				return
			}
			g.Expect(err).To(HaveOccurred())
			for _, s := range tt.wantErr {
				g.Expect(err.Error()).To(ContainSubstring(s))
			}
		})
	}
}

func TestBuildReportsInvalidYAML(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"generated/good.yaml":             configMap,
		"generated/sub/broken.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
		"listed/kustomization.yaml":       "resources: [good.yaml, broken.yaml]\n",
		"listed/good.yaml":                configMap,
		"listed/broken.yaml":              "apiVersion: v1\nkind: ConfigMap\n  bad indent: x\n",
		"badkust/kustomization.yaml":      "resources: [\n",
		"unknownfield/kustomization.yaml": "resourcez: [a.yaml]\n",
	})
	tests := []struct {
		path    string
		wantErr []string
	}{
		{"generated", []string{"generated/sub/broken.yaml"}},
		{"listed", []string{"broken.yaml"}},
		{"badkust", []string{"badkust/kustomization.yaml"}},
		{"unknownfield", []string{"resourcez"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Build(nil, Options{Root: root, Path: tt.path})
			g.Expect(err).To(HaveOccurred())
			for _, s := range tt.wantErr {
				g.Expect(err.Error()).To(ContainSubstring(s))
			}
			g.Expect(err.Error()).NotTo(ContainSubstring(root))
		})
	}
}
