package git

import (
	"strings"
	"testing"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

func TestShortMessage(t *testing.T) {
	long := strings.Repeat("x", 60)
	tests := []struct{ msg, want string }{
		{"fix: a bug\n\nbody", "fix: a bug"},
		{"  one line  ", "one line"},
		{long, strings.Repeat("x", 50) + "..."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := (Commit{Message: tt.msg}).ShortMessage(); got != tt.want {
			t.Errorf("ShortMessage(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

// TestSelectRef: Flux's precedence over a listing of remote references.
func TestSelectRef(t *testing.T) {
	refs := map[string]string{
		"refs/heads/master": "m", "refs/heads/main": "a", "refs/tags/v1.0.0": "t1", "refs/tags/v1.2.0": "t2",
		"refs/tags/2.0.0": "t3", "refs/pull/1/head": "p",
	}
	tests := []struct {
		name    string
		ref     *sourcev1.GitRepositoryRef
		want    Commit
		wantErr string
	}{
		{name: "default branch", ref: nil, want: Commit{Hash: "m", Ref: "refs/heads/master", Revision: "master@sha1:m"}},
		{name: "branch", ref: &sourcev1.GitRepositoryRef{Branch: "main"}, want: Commit{Hash: "a", Ref: "refs/heads/main", Revision: "main@sha1:a"}},
		{name: "tag over branch", ref: &sourcev1.GitRepositoryRef{Branch: "main", Tag: "v1.0.0"}, want: Commit{Hash: "t1", Ref: "refs/tags/v1.0.0", Revision: "v1.0.0@sha1:t1"}},
		{name: "semver over tag", ref: &sourcev1.GitRepositoryRef{Tag: "v1.0.0", SemVer: "1.x"}, want: Commit{Hash: "t2", Ref: "refs/tags/v1.2.0", Revision: "v1.2.0@sha1:t2"}},
		{name: "name over semver", ref: &sourcev1.GitRepositoryRef{SemVer: "1.x", Name: "refs/pull/1/head"}, want: Commit{Hash: "p", Ref: "refs/pull/1/head", Revision: "refs/pull/1/head@sha1:p"}},
		{name: "commit over all", ref: &sourcev1.GitRepositoryRef{Branch: "main", Commit: "c0ffee"}, want: Commit{Hash: "c0ffee", Revision: "sha1:c0ffee"}},
		{name: "missing branch", ref: &sourcev1.GitRepositoryRef{Branch: "nope"}, wantErr: "couldn't find remote ref 'refs/heads/nope'"},
		{name: "no semver match", ref: &sourcev1.GitRepositoryRef{SemVer: ">=3"}, wantErr: "no tag matches semver range '>=3'"},
		{name: "bad semver", ref: &sourcev1.GitRepositoryRef{SemVer: "not a range"}, wantErr: "failed to parse semver range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectRef(refs, tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SelectRef = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("https://user:s3cret@h/r.git"); strings.Contains(got, "s3cret") || got != "https://h/r.git" {
		t.Errorf("Redact = %q", got)
	}
}
