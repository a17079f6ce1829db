package generator

import (
	"errors"
	"strings"
	"testing"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
)

// patterned is a spec reading repo with pathPattern and one artifact of one copy operation.
func patterned(pattern, name, from, to string) sourceextv1beta1.ArtifactGeneratorSpec {
	return sourceextv1beta1.ArtifactGeneratorSpec{
		Sources:         []sourceextv1beta1.SourceReference{{Alias: "repo", Kind: "GitRepository", Name: "repo"}},
		PathPattern:     pattern,
		OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: name, Copy: []sourceextv1beta1.CopyOperation{{From: from, To: to}}}},
	}
}

func TestValidate(t *testing.T) {
	source := func(alias string) sourceextv1beta1.SourceReference {
		return sourceextv1beta1.SourceReference{Alias: alias, Kind: "GitRepository", Name: "repo"}
	}
	artifact := func(name string, copies ...sourceextv1beta1.CopyOperation) sourceextv1beta1.OutputArtifact {
		return sourceextv1beta1.OutputArtifact{Name: name, Copy: copies}
	}
	good := sourceextv1beta1.CopyOperation{From: "@repo/apps/**", To: "@artifact/"}
	tests := []struct {
		name string
		spec sourceextv1beta1.ArtifactGeneratorSpec
		want string
	}{
		{"valid", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources:         []sourceextv1beta1.SourceReference{source("repo")},
			OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: "apps", Revision: "@repo", OriginRevision: "@repo", Copy: []sourceextv1beta1.CopyOperation{good}}},
		}, ""},
		{"duplicate alias", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo"), source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", good)},
		}, "spec.sources[1].alias: 'repo' is used by another source"},
		{"duplicate artifact", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", good), artifact("a", good)},
		}, "spec.artifacts[1].name: 'a' is the name of another artifact"},
		{"undeclared revision alias", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: "a", OriginRevision: "@git", Copy: []sourceextv1beta1.CopyOperation{good}}},
		}, "spec.artifacts[0].originRevision: source alias 'git' is not declared in spec.sources"},
		{"undeclared copy alias", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", sourceextv1beta1.CopyOperation{From: "@git/x", To: "@artifact/"})},
		}, "spec.artifacts[0].copy[0].from: source alias 'git' is not declared in spec.sources"},
		{"from leaving the source", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", sourceextv1beta1.CopyOperation{From: "@repo/apps/../../x", To: "@artifact/"})},
		}, "spec.artifacts[0].copy[0].from: '@repo/apps/../../x' leaves the root of source 'repo'"},
		{"to leaving the artifact", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", sourceextv1beta1.CopyOperation{From: "@repo/x", To: "@artifact/../x"})},
		}, "spec.artifacts[0].copy[0].to: '@artifact/../x' leaves the root of the artifact"},
		{"bad glob", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", sourceextv1beta1.CopyOperation{From: "@repo/[x", To: "@artifact/"})},
		}, "'@repo/[x' is not a valid glob"},
		{"bad exclude", sourceextv1beta1.ArtifactGeneratorSpec{
			Sources: []sourceextv1beta1.SourceReference{source("repo")}, OutputArtifacts: []sourceextv1beta1.OutputArtifact{artifact("a", sourceextv1beta1.CopyOperation{From: "@repo/x", To: "@artifact/", Exclude: []string{"{a"}})},
		}, "spec.artifacts[0].copy[0].exclude[0]: '{a' is not a valid glob"},
		{"pathPattern", patterned("@repo/apps/{app}/envs/{env}", "{app}-{env}", "@repo/apps/{app}/envs/{env}/*.{yaml,yml}", "@artifact/{env}/"), ""},
		{"pathPattern capture not in the name", patterned("@repo/apps/{app}", "apps", "@repo/apps/{app}/**", "@artifact/{app}/"), ""},
		{"placeholder not captured in the name", patterned("@repo/apps/{app}", "{app}-{env}", "@repo/apps/{app}/**", "@artifact/"),
			"spec.artifacts[0].name: '{env}' in '{app}-{env}' is not a capture of spec.pathPattern '@repo/apps/{app}' (captures: {app})"},
		{"placeholder not captured in from", patterned("@repo/apps/{app}", "{app}", "@repo/apps/{application}/**", "@artifact/"),
			"spec.artifacts[0].copy[0].from: '{application}' in '@repo/apps/{application}/**' is not a capture of spec.pathPattern '@repo/apps/{app}'"},
		{"placeholder not captured in to", patterned("@repo/apps/{app}", "{app}", "@repo/apps/{app}/**", "@artifact/{env}/"),
			"spec.artifacts[0].copy[0].to: '{env}' in '@artifact/{env}/' is not a capture of spec.pathPattern '@repo/apps/{app}'"},
		{"pathPattern without captures", patterned("@repo/apps/auth", "{app}", "@repo/apps/auth/**", "@artifact/"),
			"spec.artifacts[0].name: '{app}' in '{app}' is not a capture of spec.pathPattern '@repo/apps/auth' (captures: none)"},
		{"pathPattern of an undeclared alias", patterned("@git/apps/{app}", "{app}", "@repo/apps/{app}/**", "@artifact/"),
			"spec.pathPattern: source alias 'git' is not declared in spec.sources"},
		{"invalid pathPattern", patterned("@repo/apps/*", "{app}", "@repo/apps/{app}/**", "@artifact/"),
			"spec.pathPattern: '@repo/apps/*': '*' holds a glob character"},
		{"from leaving the source through a placeholder", patterned("@repo/apps/{app}", "{app}", "@repo/apps/{app}/../../../x", "@artifact/"),
			"spec.artifacts[0].copy[0].from: '@repo/apps/x/../../../x' leaves the root of source 'repo'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(&tt.spec)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an ErrInvalid holding %q", err, tt.want)
			}
		})
	}
}

// FuzzParse: whatever a user writes, a path ParseFrom or ParseTo accepts never climbs out of
// its root.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"@repo/apps/**", "@artifact/", "@artifact/a/../b", "@repo/..", "@artifact//etc/passwd", "@repo/a\\..\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, p, err := ParseFrom(s); err == nil {
			checkInside(t, p)
		}
		if rel, _, err := ParseTo(s); err == nil {
			checkInside(t, rel)
			if strings.HasPrefix(rel, "/") {
				t.Fatalf("ParseTo(%q) = %q, an absolute path", s, rel)
			}
		}
	})
}

func checkInside(t *testing.T, p string) {
	t.Helper()
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			t.Fatalf("%q climbs out of its root", p)
		}
	}
}
