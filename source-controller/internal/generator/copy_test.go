package generator

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// monorepo is the tree of a source repository in the layout of Flux's
// flux2-kustomize-helm-example.
var monorepo = map[string]string{
	"apps/base/podinfo/kustomization.yaml":          "resources: [release.yaml]\n",
	"apps/base/podinfo/release.yaml":                "kind: HelmRelease\n",
	"apps/staging/kustomization.yaml":               "resources: [../base/podinfo]\n",
	"apps/staging/podinfo-values.yaml":              "values: {}\n",
	"infrastructure/controllers/kustomization.yaml": "resources: [cert-manager.yaml]\n",
	"infrastructure/configs/cluster-issuers.yaml":   "kind: ClusterIssuer\n",
	"README.md":               "# fleet\n",
	"configs/a.yaml":          "a: 1\n",
	"configs/b.yaml":          "b: 2\n",
	"configs/notes.md":        "notes\n",
	"configs/sub/c.yaml":      "c: 3\n",
	"configs/testdata/t.yaml": "t: 4\n",
	"values-prod.yaml":        "replicas: 3\nimage: {tag: v2}\nports: [8080]\n",
	"broken.yaml":             "a: [\n",
}

// chart is a packaged chart, as a HelmChart or an OCIRepository's artifact holds it.
var chart = map[string]string{
	"podinfo/Chart.yaml":  "name: podinfo\nversion: 6.0.0\n",
	"podinfo/values.yaml": "replicas: 1\nimage: {repository: ghcr.io/podinfo, tag: v1}\nports: [80, 443]\n",
}

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		ops  []sourceextv1beta1.CopyOperation
		want map[string]string
	}{{
		name: "decomposition: the example's apps artifact",
		ops:  ops("@repo/apps/base/**", "@artifact/base/", "@repo/apps/staging/**", "@artifact/staging/"),
		want: map[string]string{
			"base/podinfo/kustomization.yaml": monorepo["apps/base/podinfo/kustomization.yaml"],
			"base/podinfo/release.yaml":       monorepo["apps/base/podinfo/release.yaml"],
			"staging/kustomization.yaml":      monorepo["apps/staging/kustomization.yaml"],
			"staging/podinfo-values.yaml":     monorepo["apps/staging/podinfo-values.yaml"],
		},
	}, {
		name: "contents of a directory at the root",
		ops:  ops("@repo/infrastructure/**", "@artifact/"),
		want: map[string]string{
			"controllers/kustomization.yaml": monorepo["infrastructure/controllers/kustomization.yaml"],
			"configs/cluster-issuers.yaml":   monorepo["infrastructure/configs/cluster-issuers.yaml"],
		},
	}, {
		name: "file to a file",
		ops:  ops("@repo/configs/a.yaml", "@artifact/apps/app.yaml"),
		want: map[string]string{"apps/app.yaml": "a: 1\n"},
	}, {
		name: "file into a directory",
		ops:  ops("@repo/configs/a.yaml", "@artifact/apps/"),
		want: map[string]string{"apps/a.yaml": "a: 1\n"},
	}, {
		name: "file into a directory copied before",
		ops:  ops("@repo/configs/b.yaml", "@artifact/apps/", "@repo/configs/a.yaml", "@artifact/apps"),
		want: map[string]string{"apps/a.yaml": "a: 1\n", "apps/b.yaml": "b: 2\n"},
	}, {
		name: "directory as a subdirectory",
		ops:  ops("@repo/configs/sub/", "@artifact/apps/"),
		want: map[string]string{"apps/sub/c.yaml": "c: 3\n"},
	}, {
		name: "one-level glob",
		ops:  ops("@repo/configs/*.yaml", "@artifact/apps/"),
		want: map[string]string{"apps/a.yaml": "a: 1\n", "apps/b.yaml": "b: 2\n"},
	}, {
		name: "recursive glob",
		ops:  ops("@repo/configs/**/*.yaml", "@artifact/"),
		want: map[string]string{"a.yaml": "a: 1\n", "b.yaml": "b: 2\n", "sub/c.yaml": "c: 3\n", "testdata/t.yaml": "t: 4\n"},
	}, {
		name: "exclusions by name and by path",
		ops: []sourceextv1beta1.CopyOperation{{From: "@repo/configs/**", To: "@artifact/apps/",
			Exclude: []string{"*.md", "**/testdata/**", "sub/c.yaml"}}},
		want: map[string]string{"apps/a.yaml": "a: 1\n", "apps/b.yaml": "b: 2\n"},
	}, {
		name: "later copies overwrite earlier ones",
		ops:  ops("@repo/configs/a.yaml", "@artifact/x.yaml", "@repo/configs/b.yaml", "@artifact/x.yaml"),
		want: map[string]string{"x.yaml": "b: 2\n"},
	}, {
		name: "the chart's root, with values merged as Helm merges them",
		ops: []sourceextv1beta1.CopyOperation{{From: "@chart/", To: "@artifact/"},
			{From: "@repo/values-prod.yaml", To: "@artifact/podinfo/values.yaml", Strategy: sourceextv1beta1.MergeStrategy}},
		want: map[string]string{
			"podinfo/Chart.yaml":  chart["podinfo/Chart.yaml"],
			"podinfo/values.yaml": "image:\n  repository: ghcr.io/podinfo\n  tag: v2\nports:\n- 8080\nreplicas: 3\n",
		},
	}, {
		name: "merge into a file that is not there copies",
		ops:  []sourceextv1beta1.CopyOperation{{From: "@repo/configs/a.yaml", To: "@artifact/a.yaml", Strategy: sourceextv1beta1.MergeStrategy}},
		want: map[string]string{"a.yaml": "a: 1\n"},
	}, {
		name: "extract a tarball",
		ops:  []sourceextv1beta1.CopyOperation{{From: "@tarballs/podinfo-6.0.0.tgz", To: "@artifact/charts/", Strategy: sourceextv1beta1.ExtractStrategy}},
		want: map[string]string{"charts/podinfo/Chart.yaml": chart["podinfo/Chart.yaml"], "charts/podinfo/values.yaml": chart["podinfo/values.yaml"]},
	}, {
		name: "extract the tarballs a glob matches, skipping other files",
		ops:  []sourceextv1beta1.CopyOperation{{From: "@tarballs/**", To: "@artifact/", Strategy: sourceextv1beta1.ExtractStrategy}},
		want: map[string]string{"podinfo/Chart.yaml": chart["podinfo/Chart.yaml"], "podinfo/values.yaml": chart["podinfo/values.yaml"]},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			out := t.TempDir()
			g.Expect(Apply(context.Background(), tt.ops, sources(t), out)).To(Succeed())
			g.Expect(readTree(t, out)).To(Equal(tt.want))
		})
	}
}

func TestApplyFailures(t *testing.T) {
	tests := []struct {
		name  string
		ops   []sourceextv1beta1.CopyOperation
		class error
		msg   string
	}{
		{"missing file", ops("@repo/nothing.yaml", "@artifact/"), ErrBuild, "'nothing.yaml' does not exist in source 'repo'"},
		{"glob matching nothing", ops("@repo/configs/*.json", "@artifact/"), ErrBuild, "'configs/*.json' matches no file in source 'repo'"},
		{"glob below a missing directory", ops("@repo/deploy/**", "@artifact/"), ErrBuild, "'deploy/**' matches no file in source 'repo'"},
		{"every match excluded", []sourceextv1beta1.CopyOperation{{From: "@repo/configs/*.md", To: "@artifact/", Exclude: []string{"*.md"}}},
			ErrBuild, "every file 'configs/*.md' matches in source 'repo' is excluded"},
		{"extract a directory", []sourceextv1beta1.CopyOperation{{From: "@repo/configs/", To: "@artifact/", Strategy: sourceextv1beta1.ExtractStrategy}},
			ErrBuild, "the Extract strategy takes tarballs, and 'configs' of source 'repo' is a directory"},
		{"extract a file that is no tarball", []sourceextv1beta1.CopyOperation{{From: "@repo/configs/a.yaml", To: "@artifact/", Strategy: sourceextv1beta1.ExtractStrategy}},
			ErrBuild, "'configs/a.yaml' of source 'repo' is not one"},
		{"merge YAML that does not parse", []sourceextv1beta1.CopyOperation{{From: "@repo/configs/a.yaml", To: "@artifact/a.yaml"},
			{From: "@repo/broken.yaml", To: "@artifact/a.yaml", Strategy: sourceextv1beta1.MergeStrategy}}, ErrBuild, "failed to merge 'broken.yaml'"},
		{"directory over a file", ops("@repo/configs/a.yaml", "@artifact/x", "@repo/configs/sub/", "@artifact/x/"), ErrBuild,
			"failed to create the directory 'x/sub' of the artifact"},
		{"path leaving the source", ops("@repo/../secrets", "@artifact/"), ErrInvalid, "leaves the root of source 'repo'"},
		{"path leaving the artifact", ops("@repo/configs/a.yaml", "@artifact/../../etc/a.yaml"), ErrInvalid, "leaves the root of the artifact"},
		{"undeclared alias", ops("@other/a.yaml", "@artifact/"), ErrInvalid, "source alias 'other' is not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			out := t.TempDir()
			err := Apply(context.Background(), tt.ops, sources(t), out)
			g.Expect(err).To(HaveOccurred())
			g.Expect(errors.Is(err, tt.class)).To(BeTrue(), "%v is not of class %v", err, tt.class)
			g.Expect(err.Error()).To(ContainSubstring(tt.msg))
		})
	}
}

// TestApplyStaysInside: a symbolic link of a source that points outside it is never
// followed, and nothing is written outside the artifact's directory.
func TestApplyStaysInside(t *testing.T) {
	g := NewWithT(t)
	outside := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cr3t"), 0o600)).To(Succeed())
	src := sources(t)
	g.Expect(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(src["repo"], "configs", "leak.yaml"))).To(Succeed())
	out := t.TempDir()
	g.Expect(Apply(context.Background(), ops("@repo/configs/**", "@artifact/"), src, out)).To(Succeed())
	g.Expect(readTree(t, out)).NotTo(HaveKey("leak.yaml"))
	err := Apply(context.Background(), ops("@repo/configs/leak.yaml", "@artifact/"), src, t.TempDir())
	g.Expect(err).To(HaveOccurred())
}

func ops(fromTo ...string) []sourceextv1beta1.CopyOperation {
	var out []sourceextv1beta1.CopyOperation
	for i := 0; i+1 < len(fromTo); i += 2 {
		out = append(out, sourceextv1beta1.CopyOperation{From: fromTo[i], To: fromTo[i+1]})
	}
	return out
}

// sources writes the test sources: repo (monorepo), chart (an extracted chart) and tarballs
// (a packaged chart beside a file that is no tarball).
func sources(t *testing.T) map[string]string {
	t.Helper()
	repo, chartDir, tarballs := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, repo, monorepo)
	writeTree(t, chartDir, chart)
	if _, _, err := artifact.Build(context.Background(), chartDir, filepath.Join(tarballs, "podinfo-6.0.0.tgz"), nil); err != nil {
		t.Fatal(err)
	}
	writeTree(t, tarballs, map[string]string{"index.yaml": "entries: {}\n"})
	return map[string]string{"repo": repo, "chart": chartDir, "tarballs": tarballs}
}

func writeTree(t *testing.T, root string, files map[string]string) {
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

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
