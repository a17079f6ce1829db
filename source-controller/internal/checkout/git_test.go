package checkout

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCheckoutMatchesResolveRef(t *testing.T) {
	f := newFixture(t, 0)
	tests := []struct {
		name     string
		ref      *sourcev1.GitRepositoryRef
		wantRev  string // with <hash> replaced by the commit of hashOf
		hashOf   string
		wantFile string
		noFile   string
	}{
		{name: "default branch", ref: nil, wantRev: "master@sha1:", hashOf: "master", wantFile: "infra/c.yaml", noFile: "dev.yaml"},
		{name: "branch", ref: &sourcev1.GitRepositoryRef{Branch: "dev"}, wantRev: "dev@sha1:", hashOf: "dev", wantFile: "dev.yaml", noFile: "apps/b.yaml"},
		{name: "lightweight tag", ref: &sourcev1.GitRepositoryRef{Tag: "v1.0.0"}, wantRev: "v1.0.0@sha1:", hashOf: "v1.0.0", wantFile: "apps/a.yaml", noFile: "apps/b.yaml"},
		{name: "annotated tag", ref: &sourcev1.GitRepositoryRef{Tag: "v1.2.0", Branch: "dev"}, wantRev: "v1.2.0@sha1:", hashOf: "v1.2.0", wantFile: "apps/b.yaml", noFile: "infra/c.yaml"},
		{name: "semver with v", ref: &sourcev1.GitRepositoryRef{SemVer: "~1", Tag: "v1.0.0"}, wantRev: "v1.2.0@sha1:", hashOf: "v1.2.0", wantFile: "apps/b.yaml", noFile: "infra/c.yaml"},
		{name: "semver without v", ref: &sourcev1.GitRepositoryRef{SemVer: ">=1.0.0"}, wantRev: "2.0.0@sha1:", hashOf: "2.0.0", wantFile: "infra/c.yaml"},
		{name: "ref name", ref: &sourcev1.GitRepositoryRef{Name: "refs/pull/1/head", Tag: "v1.0.0"}, wantRev: "refs/pull/1/head@sha1:", hashOf: "dev", wantFile: "dev.yaml"},
		{name: "commit", ref: &sourcev1.GitRepositoryRef{Commit: "@first", Name: "refs/heads/dev"}, wantRev: "sha1:", hashOf: "first", wantFile: "apps/a.yaml", noFile: "apps/b.yaml"},
		{name: "commit on branch", ref: &sourcev1.GitRepositoryRef{Commit: "@second", Branch: "master"}, wantRev: "master@sha1:", hashOf: "second", wantFile: "apps/b.yaml", noFile: "infra/c.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			ref := tt.ref
			if ref != nil && strings.HasPrefix(ref.Commit, "@") {
				r := *ref
				r.Commit = f.commits[strings.TrimPrefix(r.Commit, "@")]
				ref = &r
			}
			want := tt.wantRev + f.commits[tt.hashOf]
			resolved, err := git.ResolveRef(ctx, f.url, f.auth, ref)
			if err != nil {
				t.Fatalf("git.ResolveRef: %v", err)
			}
			dir := t.TempDir()
			got, err := Clone(ctx, f.url, f.auth, ref, dir, Options{})
			if err != nil {
				t.Fatalf("Checkout: %v", err)
			}
			if got.Hash != f.commits[tt.hashOf] || got.Revision != want {
				t.Errorf("Checkout = %+v, want revision %s", got, want)
			}
			if resolved.Hash != got.Hash {
				t.Errorf("git.ResolveRef hash %s != Checkout hash %s", resolved.Hash, got.Hash)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.wantFile)); err != nil {
				t.Errorf("want file %s: %v", tt.wantFile, err)
			}
			if tt.noFile != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.noFile)); err == nil {
					t.Errorf("file %s should not be checked out", tt.noFile)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t, 0)
	closed := closedPortURL(t)
	wrong := *f.auth
	wrong.Password = "wr0ng-pa55w0rd"
	tests := []struct {
		name    string
		url     string
		auth    *git.Auth
		ref     *sourcev1.GitRepositoryRef
		want    string
		wantErr error
	}{
		{name: "wrong password", url: f.url, auth: &wrong, want: "authentication failed", wantErr: git.ErrAuthFailed},
		{name: "no credentials", url: f.url, auth: &git.Auth{CAData: f.auth.CAData}, want: "authentication failed", wantErr: git.ErrAuthFailed},
		{name: "missing branch", url: f.url, auth: f.auth, ref: &sourcev1.GitRepositoryRef{Branch: "nope"}, want: "couldn't find remote ref 'refs/heads/nope'", wantErr: git.ErrRefNotFound},
		{name: "missing tag", url: f.url, auth: f.auth, ref: &sourcev1.GitRepositoryRef{Tag: "v9"}, want: "couldn't find remote ref 'refs/tags/v9'", wantErr: git.ErrRefNotFound},
		{name: "no semver match", url: f.url, auth: f.auth, ref: &sourcev1.GitRepositoryRef{SemVer: ">=3.0.0"}, want: "no tag matches semver range '>=3.0.0'", wantErr: git.ErrRefNotFound},
		{name: "bad semver range", url: f.url, auth: f.auth, ref: &sourcev1.GitRepositoryRef{SemVer: "not-a-range"}, want: "failed to parse semver range"},
		{name: "unreachable host", url: closed, auth: f.auth, want: "connection refused"},
		{name: "untrusted certificate", url: f.url, auth: &git.Auth{Username: testUser, Password: testPassword}, want: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			_, rerr := git.ResolveRef(ctx, tt.url, tt.auth, tt.ref)
			_, cerr := Clone(ctx, tt.url, tt.auth, tt.ref, t.TempDir(), Options{})
			for _, err := range []error{rerr, cerr} {
				if err == nil {
					t.Fatal("want an error, got nil")
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.want) {
					t.Errorf("error %q does not contain %q", msg, tt.want)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %q is not %v", msg, tt.wantErr)
				}
				if strings.Contains(msg, testPassword) || strings.Contains(msg, wrong.Password) {
					t.Errorf("error leaks the password: %q", msg)
				}
			}
		})
	}
}

func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "https://" + addr + "/repo.git"
}

func TestCheckoutSparse(t *testing.T) {
	f := newFixture(t, 0)
	dir := t.TempDir()
	if _, err := Clone(testContext(t), f.url, f.auth, nil, dir, Options{SparseDirs: []string{"apps"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "apps", "a.yaml")); err != nil {
		t.Errorf("apps/a.yaml missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "infra", "c.yaml")); err == nil {
		t.Error("infra/c.yaml should be left out of a sparse checkout")
	}
}

func BenchmarkCheckout500Files(b *testing.B) {
	f := newFixture(b, 500)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if _, err := Clone(ctx, f.url, f.auth, nil, b.TempDir(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckoutEdgeCases(t *testing.T) {
	f := newFixture(t, 0)
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		auth *git.Auth
		ref  *sourcev1.GitRepositoryRef
		want string
	}{
		{name: "bearer token", ctx: testContext(t), auth: &git.Auth{BearerToken: testToken, CAData: f.auth.CAData}},
		{name: "unknown commit", ctx: testContext(t), auth: f.auth,
			ref: &sourcev1.GitRepositoryRef{Commit: strings.Repeat("0", 40)}, want: "failed to find commit"},
		{name: "cancelled context", ctx: expired, auth: f.auth, want: "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Clone(tt.ctx, f.url, tt.auth, tt.ref, t.TempDir(), Options{})
			if tt.want == "" {
				if err != nil || got.Hash != f.commits["master"] {
					t.Fatalf("Checkout = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}
