package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// errAny stands for any error in the tables of this file.
var errAny = errors.New("any error")

func TestVerify(t *testing.T) {
	s := newTestStorage(t, 0)
	src := writeTree(t, map[string]string{"a.yaml": "a", "b.yaml": "b"})
	archive := func(t *testing.T, name string) fluxmeta.Artifact {
		t.Helper()
		a, err := s.Archive(context.Background(), "GitRepository", "ns", name, src, "rev", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	file := func(a fluxmeta.Artifact) string { return filepath.Join(s.Path(), filepath.FromSlash(a.Path)) }

	cases := []struct {
		name       string
		change     func(t *testing.T, a *fluxmeta.Artifact)
		wantExists bool
		wantErr    error
	}{
		{name: "intact", change: func(*testing.T, *fluxmeta.Artifact) {}, wantExists: true},
		{name: "intact without size", change: func(_ *testing.T, a *fluxmeta.Artifact) { a.Size = nil }, wantExists: true},
		{name: "deleted", change: func(t *testing.T, a *fluxmeta.Artifact) {
			must(t, os.Remove(file(*a)))
		}, wantErr: ErrNotFound},
		{name: "object directory deleted", change: func(t *testing.T, a *fluxmeta.Artifact) {
			must(t, os.RemoveAll(filepath.Dir(file(*a))))
		}, wantErr: ErrNotFound},
		{name: "corrupted, same size", change: func(t *testing.T, a *fluxmeta.Artifact) {
			b, err := os.ReadFile(file(*a))
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			must(t, os.WriteFile(file(*a), b, 0o644))
		}, wantExists: true, wantErr: ErrCorrupt},
		{name: "truncated", change: func(t *testing.T, a *fluxmeta.Artifact) {
			must(t, os.Truncate(file(*a), 10))
		}, wantExists: true, wantErr: ErrCorrupt},
		{name: "replaced by a directory", change: func(t *testing.T, a *fluxmeta.Artifact) {
			must(t, os.Remove(file(*a)))
			must(t, os.Mkdir(file(*a), 0o755))
		}, wantErr: ErrNotFound},
		{name: "symbolic link out of the storage", change: func(t *testing.T, a *fluxmeta.Artifact) {
			outside := writeFile(t, t.TempDir(), "outside")
			must(t, os.Remove(file(*a)))
			must(t, os.Symlink(outside, file(*a)))
		}, wantErr: errAny},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := archive(t, "app"+string(rune('a'+i)))
			tc.change(t, &a)
			if got := s.Exists(a); got != tc.wantExists {
				t.Errorf("Exists() = %v, want %v", got, tc.wantExists)
			}
			err := s.Verify(a)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("Verify() error = %v", err)
			case tc.wantErr != nil && err == nil:
				t.Errorf("Verify() succeeded, want %v", tc.wantErr)
			case errors.Is(tc.wantErr, ErrCorrupt) && !errors.Is(err, artifact.ErrDigestMismatch):
				t.Errorf("Verify() error = %v, want it to match artifact.ErrDigestMismatch", err)
			case tc.wantErr != nil && !errors.Is(tc.wantErr, errAny) && !errors.Is(err, tc.wantErr):
				t.Errorf("Verify() error = %v, want it to match %v", err, tc.wantErr)
			}
		})
	}
}

func TestVerifyInvalidRecords(t *testing.T) {
	s := newTestStorage(t, 0)
	good, err := s.Store(context.Background(), "Bucket", "ns", "b", bytesReader("x"), ".tar.gz", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		a          fluxmeta.Artifact
		wantExists bool
	}{
		{name: "empty", a: fluxmeta.Artifact{}},
		{name: "bad digest", a: fluxmeta.Artifact{Path: good.Path, Digest: "sha256:zz"}, wantExists: true},
		{name: "other algorithm", a: fluxmeta.Artifact{Path: good.Path, Digest: "sha512:" + good.Digest[7:]}, wantExists: true},
		{name: "traversal", a: fluxmeta.Artifact{Path: "bucket/ns/b/../../../../etc/passwd", Digest: good.Digest}},
		{name: "too short", a: fluxmeta.Artifact{Path: "bucket/ns", Digest: good.Digest}},
		{name: "hidden", a: fluxmeta.Artifact{Path: "bucket/ns/b/.archive-1.tar.gz", Digest: good.Digest}},
		{name: "absolute", a: fluxmeta.Artifact{Path: "//etc/passwd", Digest: good.Digest}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Exists(tc.a); got != tc.wantExists {
				t.Errorf("Exists() = %v, want %v", got, tc.wantExists)
			}
			if err := s.Verify(tc.a); err == nil {
				t.Error("Verify() succeeded")
			}
		})
	}
	// A leading slash is tolerated, as Flux's paths sometimes carry one.
	good.Path = "/" + good.Path
	if err := s.Verify(good); err != nil {
		t.Errorf("Verify() of %q error = %v", good.Path, err)
	}
}

func TestRestartFindsArtifacts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	first, err := New(Config{Path: dir, AdvertisedAddr: testAddr})
	if err != nil {
		t.Fatal(err)
	}
	a, err := first.Archive(context.Background(), "OCIRepository", "ns", "app",
		writeTree(t, map[string]string{"k.yaml": "k"}), "v1@sha256:abc", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := New(Config{Path: dir, AdvertisedAddr: "new-host:8080"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if !second.Exists(a) {
		t.Fatal("Exists() = false after restart")
	}
	if err := second.Verify(a); err != nil {
		t.Fatalf("Verify() after restart error = %v", err)
	}
	paths, err := second.List("OCIRepository", "ns", "app")
	if err != nil || len(paths) != 1 || paths[0] != a.Path {
		t.Errorf("List() = %v, %v, want [%s]", paths, err, a.Path)
	}
	if want := "http://new-host:8080/" + a.Path; second.URL(a.Path) != want {
		t.Errorf("URL() = %q, want %q", second.URL(a.Path), want)
	}
}
