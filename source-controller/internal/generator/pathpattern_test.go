package generator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
)

func TestParsePathPattern(t *testing.T) {
	valid := []struct {
		pattern, alias string
		captures       []string
	}{
		{"@repo/apps/{app}", "repo", []string{"app"}},
		{"@repo/apps/{app}/envs/{env}/", "repo", []string{"app", "env"}},
		{"@repo//apps/{app}", "repo", []string{"app"}},
		{"@repo/apps/app-{name}.d", "repo", []string{"name"}},
		{"@repo/{team}-{app_name}", "repo", []string{"team", "app_name"}},
		{"@repo/apps/auth", "repo", nil},
	}
	for _, tt := range valid {
		t.Run(tt.pattern, func(t *testing.T) {
			g := NewWithT(t)
			p, err := ParsePathPattern(tt.pattern)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Alias).To(Equal(tt.alias))
			g.Expect(p.Captures()).To(Equal(tt.captures))
			g.Expect(p.String()).To(Equal(tt.pattern))
		})
	}
	invalid := []struct{ pattern, want string }{
		{"repo/apps/{app}", "is not of the form '@<alias>/<pattern>'"},
		{"@repo", "is not of the form '@<alias>/<pattern>'"},
		{"@/apps/{app}", "is not of the form '@<alias>/<pattern>'"},
		{"@repo/", "names no directory below the root of source 'repo'"},
		{"@repo/apps//{app}", "an empty directory name"},
		{"@repo/apps/../{app}", "'..' is not a directory name"},
		{"@repo/./{app}", "'.' is not a directory name"},
		{"@repo/apps/*/{env}", "'*' holds a glob character"},
		{"@repo/apps/{app}/**", "'**' holds a glob character"},
		{"@repo/apps/{}", "the capture '{}' has no name"},
		{"@repo/apps/{app-name}", "the capture '{app-name}' is not a valid name"},
		{"@repo/apps/{1app}", "the capture '{1app}' is not a valid name"},
		{"@repo/apps/{_app}", "the capture '{_app}' is not a valid name"},
		{"@repo/apps/{app_}", "the capture '{app_}' is not a valid name"},
		{"@repo/apps/{" + strings.Repeat("a", 64) + "}", "is not a valid name: at most 63"},
		{"@repo/apps/{app", "has a '{' without its '}'"},
		{"@repo/apps/app}", "has a '}' without its '{'"},
		{"@repo/apps/{app}/envs/{app}", "the capture '{app}' is used twice"},
		{"@repo/apps/{app}{env}", "two captures with nothing between them"},
	}
	for _, tt := range invalid {
		t.Run(tt.pattern, func(t *testing.T) {
			g := NewWithT(t)
			_, err := ParsePathPattern(tt.pattern)
			g.Expect(err).To(HaveOccurred())
			g.Expect(errors.Is(err, ErrInvalid)).To(BeTrue(), "%v", err)
			g.Expect(err.Error()).To(HavePrefix("spec.pathPattern: "))
			g.Expect(err.Error()).To(ContainSubstring(tt.want))
		})
	}
}

// platform is a monorepo in the layout of source-watcher's pathPattern example, with files
// and directories the patterns below must not match.
var platform = map[string]string{
	"apps/auth/envs/dev/app.yaml":      "auth: dev\n",
	"apps/auth/envs/prod/app.yaml":     "auth: prod\n",
	"apps/payments/envs/dev/app.yaml":  "payments: dev\n",
	"apps/payments/envs/dev/README.md": "docs\n",
	"apps/payments/envs/staging/a.yml": "payments: staging\n",
	"apps/ignored/envs":                "a file where a directory is expected\n",
	"apps/README.md":                   "a file beside the apps\n",
	"infra/envs/dev/x.yaml":            "not below apps\n",
}

// expandSpec is a spec reading repo whose artifacts are instantiated per directory pattern matches.
func expandSpec(pattern string, artifacts ...sourceextv1beta1.OutputArtifact) *sourceextv1beta1.ArtifactGeneratorSpec {
	return &sourceextv1beta1.ArtifactGeneratorSpec{
		Sources:         []sourceextv1beta1.SourceReference{{Alias: "repo", Kind: "GitRepository", Name: "repo"}},
		PathPattern:     pattern,
		OutputArtifacts: artifacts,
	}
}

func TestExpand(t *testing.T) {
	g := NewWithT(t)
	repo := t.TempDir()
	writeTree(t, repo, platform)
	g.Expect(os.MkdirAll(filepath.Join(repo, "apps", "empty", "envs", "qa"), 0o755)).To(Succeed())
	sources := map[string]string{"repo": repo}
	template := sourceextv1beta1.OutputArtifact{Name: "{app}-{env}", OriginRevision: "@repo", Copy: []sourceextv1beta1.CopyOperation{
		{From: "@repo/apps/{app}/envs/{env}/**", To: "@artifact/{env}/", Exclude: []string{"*.{md,txt}"}, Strategy: sourceextv1beta1.MergeStrategy}}}

	got, err := Expand(context.Background(), expandSpec("@repo/apps/{app}/envs/{env}", template), sources)
	g.Expect(err).NotTo(HaveOccurred())
	var names, dirs []string
	for _, a := range got {
		names, dirs = append(names, a.Name), append(dirs, a.Dir)
	}
	// Directories in the order of their paths; files and paths not matching are left out;
	// a directory matches whatever it holds.
	g.Expect(names).To(Equal([]string{"auth-dev", "auth-prod", "empty-qa", "payments-dev", "payments-staging"}))
	g.Expect(dirs).To(Equal([]string{"apps/auth/envs/dev", "apps/auth/envs/prod", "apps/empty/envs/qa", "apps/payments/envs/dev", "apps/payments/envs/staging"}))
	g.Expect(got[3].Labels).To(Equal(map[string]string{"app": "payments", "env": "dev"}))
	g.Expect(got[3].OriginRevision).To(Equal("@repo"))
	g.Expect(got[3].Copy).To(Equal([]sourceextv1beta1.CopyOperation{{From: "@repo/apps/payments/envs/dev/**", To: "@artifact/dev/",
		Exclude: []string{"*.{md,txt}"}, Strategy: sourceextv1beta1.MergeStrategy}}), "exclude and strategy are kept as they are")
	g.Expect(template.Copy[0].From).To(Equal("@repo/apps/{app}/envs/{env}/**"), "the spec is left as it is")

	// The composed artifact of an instance holds its directory's files.
	out := t.TempDir()
	g.Expect(Apply(context.Background(), got[3].Copy, sources, out)).To(Succeed())
	g.Expect(readTree(t, out)).To(Equal(map[string]string{"dev/app.yaml": "payments: dev\n"}))

	t.Run("several artifacts per directory", func(t *testing.T) {
		g := NewWithT(t)
		got, err := Expand(context.Background(), expandSpec("@repo/apps/{app}",
			sourceextv1beta1.OutputArtifact{Name: "{app}-manifests", Copy: []sourceextv1beta1.CopyOperation{{From: "@repo/apps/{app}/**", To: "@artifact/"}}},
			sourceextv1beta1.OutputArtifact{Name: "{app}-dev", Copy: []sourceextv1beta1.CopyOperation{{From: "@repo/apps/{app}/envs/dev/", To: "@artifact/"}}},
		), sources)
		g.Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
		}
		g.Expect(names).To(Equal([]string{"auth-manifests", "auth-dev", "empty-manifests", "empty-dev",
			"ignored-manifests", "ignored-dev", "payments-manifests", "payments-dev"}))
	})

	t.Run("no directory matching", func(t *testing.T) {
		g := NewWithT(t)
		got, err := Expand(context.Background(), expandSpec("@repo/services/{svc}", template), sources)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(BeEmpty())
	})

	t.Run("without pathPattern", func(t *testing.T) {
		g := NewWithT(t)
		plain := sourceextv1beta1.OutputArtifact{Name: "apps", Copy: []sourceextv1beta1.CopyOperation{{From: "@repo/apps/{a,b}/**", To: "@artifact/"}}}
		got, err := Expand(context.Background(), expandSpec("", plain), sources)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal([]Artifact{{OutputArtifact: plain}}), "braces are globs, not placeholders")
	})
}

// TestExpandCase: captured names are lowercased in artifact names and labels, and kept as
// they are in copy paths; two directories that differ only in case collide.
func TestExpandCase(t *testing.T) {
	g := NewWithT(t)
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{"apps/Auth/envs/Dev/app.yaml": "a\n", "apps/Payments/envs/Prod/app.yaml": "p\n"})
	template := sourceextv1beta1.OutputArtifact{Name: "{app}-{env}", Copy: []sourceextv1beta1.CopyOperation{{From: "@repo/apps/{app}/envs/{env}/**", To: "@artifact/{app}/{env}/"}}}
	got, err := Expand(context.Background(), expandSpec("@repo/apps/{app}/envs/{env}", template), map[string]string{"repo": repo})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(2))
	g.Expect(got[0].Name).To(Equal("auth-dev"))
	g.Expect(got[0].Labels).To(Equal(map[string]string{"app": "auth", "env": "dev"}))
	g.Expect(got[0].Copy[0]).To(Equal(sourceextv1beta1.CopyOperation{From: "@repo/apps/Auth/envs/Dev/**", To: "@artifact/Auth/Dev/"}))
	g.Expect(got[1].Name).To(Equal("payments-prod"))

	g.Expect(os.MkdirAll(filepath.Join(repo, "apps", "auth", "envs", "dev"), 0o755)).To(Succeed())
	_, err = Expand(context.Background(), expandSpec("@repo/apps/{app}/envs/{env}", template), map[string]string{"repo": repo})
	g.Expect(err).To(HaveOccurred())
	g.Expect(errors.Is(err, ErrBuild)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(Equal("spec.artifacts[0].name: the directories 'apps/Auth/envs/Dev' and 'apps/auth/envs/dev' of source 'repo' both give the artifact name 'auth-dev'"))
}

func TestExpandFailures(t *testing.T) {
	artifact := func(name string) sourceextv1beta1.OutputArtifact {
		return sourceextv1beta1.OutputArtifact{Name: name, Copy: []sourceextv1beta1.CopyOperation{{From: "@repo/apps/{app}/**", To: "@artifact/"}}}
	}
	tests := []struct {
		name      string
		dirs      []string
		artifacts []sourceextv1beta1.OutputArtifact
		class     error
		want      string
	}{
		{"hidden directory", []string{"apps/.hidden"}, []sourceextv1beta1.OutputArtifact{artifact("{app}")}, ErrBuild,
			"spec.pathPattern '@repo/apps/{app}': the directory 'apps/.hidden' of source 'repo' captures '.hidden' as '{app}', which is not a valid Kubernetes label value"},
		{"space in a directory name", []string{"apps/my app"}, []sourceextv1beta1.OutputArtifact{artifact("{app}")}, ErrBuild,
			"captures 'my app' as '{app}', which is not a valid Kubernetes label value"},
		{"directory name too long", []string{"apps/" + strings.Repeat("a", 64)}, []sourceextv1beta1.OutputArtifact{artifact("{app}")}, ErrBuild,
			"which is not a valid Kubernetes label value: must be no more than 63 bytes"},
		{"underscore in an object name", []string{"apps/my_app"}, []sourceextv1beta1.OutputArtifact{artifact("{app}")}, ErrBuild,
			"spec.artifacts[0].name: '{app}' gives 'my_app' for the directory 'apps/my_app', which is not a valid Kubernetes object name"},
		{"name template giving no object name", []string{"apps/auth"}, []sourceextv1beta1.OutputArtifact{artifact("{app}..invalid")}, ErrBuild,
			"'{app}..invalid' gives 'auth..invalid' for the directory 'apps/auth', which is not a valid Kubernetes object name"},
		{"one name for every directory", []string{"apps/a", "apps/b"}, []sourceextv1beta1.OutputArtifact{artifact("apps")}, ErrBuild,
			"spec.artifacts[0].name: the directories 'apps/a' and 'apps/b' of source 'repo' both give the artifact name 'apps'"},
		{"two artifacts giving one name", []string{"apps/a-x", "apps/a"}, []sourceextv1beta1.OutputArtifact{artifact("{app}"), artifact("{app}-x")}, ErrBuild,
			"spec.artifacts[0].name: the directories 'apps/a' and 'apps/a-x' of source 'repo' both give the artifact name 'a-x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			repo := t.TempDir()
			for _, d := range tt.dirs {
				g.Expect(os.MkdirAll(filepath.Join(repo, filepath.FromSlash(d)), 0o755)).To(Succeed())
			}
			_, err := Expand(context.Background(), expandSpec("@repo/apps/{app}", tt.artifacts...), map[string]string{"repo": repo})
			g.Expect(err).To(HaveOccurred())
			g.Expect(errors.Is(err, tt.class)).To(BeTrue(), "%v is not of class %v", err, tt.class)
			g.Expect(err.Error()).To(ContainSubstring(tt.want))
		})
	}

	t.Run("unreadable source", func(t *testing.T) {
		g := NewWithT(t)
		_, err := Expand(context.Background(), expandSpec("@repo/apps/{app}", artifact("{app}")), map[string]string{"repo": filepath.Join(t.TempDir(), "gone")})
		g.Expect(err).To(HaveOccurred())
		g.Expect(errors.Is(err, ErrBuild) || errors.Is(err, ErrInvalid)).To(BeFalse(), "a local disk failure is retried: %v", err)
	})
}

// TestRender: placeholders of captures are replaced; other braces are left to the globs.
func TestRender(t *testing.T) {
	g := NewWithT(t)
	values := map[string]string{"app": "auth", "env": "dev"}
	g.Expect(Render("@repo/apps/{app}/envs/{env}/*.{yaml,yml}", values)).To(Equal("@repo/apps/auth/envs/dev/*.{yaml,yml}"))
	g.Expect(Render("{app}{app}-{other}", values)).To(Equal("authauth-{other}"))
	g.Expect(Placeholders("@repo/{app}/{a,b}/{env}/{_x}")).To(Equal([]string{"app", "env", "_x"}))
}

// FuzzPathPattern: whatever a user writes, a pattern ParsePathPattern accepts names
// directories below the root only, and a path rendered with what it captures from directory
// names stays below its root.
func FuzzPathPattern(f *testing.F) {
	for _, s := range []string{"@repo/apps/{app}", "@repo/apps/{app}/envs/{env}/", "@repo/../{x}", "@repo/{a}{b}", "@repo/a-{b}.c/{d}"} {
		f.Add(s, "@repo/apps/{app}/**", "..")
	}
	f.Fuzz(func(t *testing.T, pattern, from, value string) {
		p, err := ParsePathPattern(pattern)
		if err != nil {
			return
		}
		for _, lv := range p.levels {
			if lv.literal == ".." || lv.literal == "." || strings.Contains(lv.literal, "/") {
				t.Fatalf("%q has the level %q", pattern, lv.literal)
			}
		}
		if strings.Contains(value, "/") || value == ".." || value == "." || value == "" {
			return // no directory is named so
		}
		values := map[string]string{}
		for _, c := range p.Captures() {
			values[c] = value
		}
		if _, rel, err := ParseFrom(Render(from, values)); err == nil {
			checkInside(t, rel)
		}
	})
}
