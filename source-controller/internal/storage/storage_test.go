package storage

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/artifact"
)

func TestNew(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "hostname", cfg: Config{Path: dir, AdvertisedAddr: "source-controller"}},
		{name: "hostname and port", cfg: Config{Path: dir, AdvertisedAddr: "localhost:9090"}},
		{name: "IPv6 and port", cfg: Config{Path: dir, AdvertisedAddr: "[::1]:9090"}},
		{name: "creates the path", cfg: Config{Path: filepath.Join(dir, "a", "b"), AdvertisedAddr: "localhost"}},
		{name: "empty path", cfg: Config{AdvertisedAddr: "localhost"}, wantErr: "storage path is empty"},
		{name: "empty address", cfg: Config{Path: dir}, wantErr: "invalid advertised address"},
		{name: "scheme", cfg: Config{Path: dir, AdvertisedAddr: "http://localhost"}, wantErr: "invalid advertised address"},
		{name: "path in address", cfg: Config{Path: dir, AdvertisedAddr: "localhost/x"}, wantErr: "invalid advertised address"},
		{name: "empty port", cfg: Config{Path: dir, AdvertisedAddr: "localhost:"}, wantErr: "empty port"},
		{name: "path is a file", cfg: Config{Path: writeFile(t, dir, "file"), AdvertisedAddr: "localhost"}, wantErr: "failed to create storage directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			defer s.Close()
			if s.retention != DefaultRetention {
				t.Errorf("retention = %d, want %d", s.retention, DefaultRetention)
			}
			if info, err := os.Stat(s.Path()); err != nil || !info.IsDir() {
				t.Errorf("storage directory not created: %v", err)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArchive(t *testing.T) {
	s := newTestStorage(t, 0)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	s.now = func() time.Time { return fixed }
	src := writeTree(t, map[string]string{"deploy/app.yaml": "kind: ConfigMap\n", ".git/HEAD": "ref", "README.md": "hi"})
	exclude := func(p string, isDir bool) bool { return isDir && p == ".git" }
	meta := map[string]string{"org.opencontainers.image.source": "https://example.com/repo"}

	a, err := s.Archive(context.Background(), "GitRepository", "ns", "app", src, "main@sha1:abc", exclude, meta)
	if err != nil {
		t.Fatalf("Archive() error = %v", err)
	}
	d, err := artifact.ParseDigest(a.Digest)
	if err != nil {
		t.Fatalf("Archive() digest: %v", err)
	}
	if want := "gitrepository/ns/app/" + d.Hex + ".tar.gz"; a.Path != want {
		t.Errorf("Path = %q, want %q", a.Path, want)
	}
	if want := "http://" + testAddr + "/" + a.Path; a.URL != want {
		t.Errorf("URL = %q, want %q", a.URL, want)
	}
	if a.Revision != "main@sha1:abc" || a.Metadata["org.opencontainers.image.source"] == "" {
		t.Errorf("Revision = %q, Metadata = %v", a.Revision, a.Metadata)
	}
	if !a.LastUpdateTime.Time.Equal(fixed.Truncate(time.Second)) {
		t.Errorf("LastUpdateTime = %v, want %v", a.LastUpdateTime, fixed.Truncate(time.Second))
	}
	digest, size, err := artifact.DigestFile(filepath.Join(s.Path(), a.Path))
	if err != nil || digest != a.Digest || a.Size == nil || *a.Size != size {
		t.Errorf("file digest %s size %d (%v), artifact digest %s size %v", digest, size, err, a.Digest, a.Size)
	}
	meta["changed"] = "after"
	if _, ok := a.Metadata["changed"]; ok {
		t.Error("Metadata aliases the caller's map")
	}

	dest := t.TempDir()
	f, err := os.Open(filepath.Join(s.Path(), a.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := artifact.Extract(f, dest, artifact.Limits{}); err != nil {
		t.Fatalf("Extract() error = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dest, ".git")); !os.IsNotExist(err) {
		t.Errorf("excluded .git was archived: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "deploy", "app.yaml")); err != nil || string(b) != "kind: ConfigMap\n" {
		t.Errorf("deploy/app.yaml = %q, %v", b, err)
	}
	assertNoTempFiles(t, s)
}

func TestArchiveSameTreeTwice(t *testing.T) {
	s := newTestStorage(t, 0)
	files := map[string]string{"a.yaml": "a", "sub/b.yaml": "b"}
	first, err := s.Archive(context.Background(), "GitRepository", "ns", "app", writeTree(t, files), "r1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Archive(context.Background(), "GitRepository", "ns", "app", writeTree(t, files), "r2", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Path != second.Path || first.Digest != second.Digest || *first.Size != *second.Size {
		t.Errorf("same tree gave %s %s and %s %s", first.Path, first.Digest, second.Path, second.Digest)
	}
	if paths, err := s.List("GitRepository", "ns", "app"); err != nil || len(paths) != 1 {
		t.Errorf("List() = %v, %v, want one file", paths, err)
	}
	files["a.yaml"] = "changed"
	third, err := s.Archive(context.Background(), "GitRepository", "ns", "app", writeTree(t, files), "r3", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.Path == first.Path || third.Digest == first.Digest {
		t.Errorf("changed tree kept path %s", third.Path)
	}
}

func TestArchiveErrors(t *testing.T) {
	s := newTestStorage(t, 0)
	src := writeTree(t, map[string]string{"a": "a"})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name, kind, ns, obj, src string
		ctx                      context.Context
		wantErr                  string
	}{
		{name: "empty kind", ns: "ns", obj: "app", src: src, wantErr: "invalid kind"},
		{name: "dot-dot namespace", kind: "GitRepository", ns: "..", obj: "app", src: src, wantErr: "invalid namespace"},
		{name: "slash in name", kind: "GitRepository", ns: "ns", obj: "a/b", src: src, wantErr: "invalid name"},
		{name: "hidden name", kind: "GitRepository", ns: "ns", obj: ".tmp", src: src, wantErr: "invalid name"},
		{name: "missing source", kind: "GitRepository", ns: "ns", obj: "app", src: filepath.Join(src, "nope"), wantErr: "failed to archive"},
		{name: "source is the storage", kind: "GitRepository", ns: "ns", obj: "app", src: s.Path(), wantErr: "inside the source directory"},
		{name: "cancelled", kind: "GitRepository", ns: "ns", obj: "app", src: src, ctx: cancelled, wantErr: "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := s.Archive(ctx, tc.kind, tc.ns, tc.obj, tc.src, "rev", nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Archive() error = %v, want it to contain %q", err, tc.wantErr)
			}
			assertNoTempFiles(t, s)
		})
	}
}

func TestStoreAndCopy(t *testing.T) {
	s := newTestStorage(t, 0)
	index := "apiVersion: v1\nentries: {}\n"
	a, err := s.Store(context.Background(), "HelmRepository", "ns", "charts", strings.NewReader(index), ".yaml", "sha256:x", nil)
	if err != nil {
		t.Fatalf("Store() error = %v", err)
	}
	if !regexp.MustCompile(`^helmrepository/ns/charts/[0-9a-f]{64}\.yaml$`).MatchString(a.Path) {
		t.Errorf("Path = %q", a.Path)
	}
	if want, _, _ := artifact.DigestReader(strings.NewReader(index)); a.Digest != want || *a.Size != int64(len(index)) {
		t.Errorf("Digest = %s size %d, want %s size %d", a.Digest, *a.Size, want, len(index))
	}
	if err := s.Verify(a); err != nil {
		t.Errorf("Verify() error = %v", err)
	}
	info, err := os.Stat(filepath.Join(s.Path(), a.Path))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("stored file mode %v, %v, want 0644", info.Mode(), err)
	}

	chart := writeFile(t, t.TempDir(), "podinfo-6.0.0.tgz")
	c, err := s.Copy(context.Background(), "HelmChart", "ns", "podinfo", chart, ".tgz", "6.0.0", nil)
	if err != nil {
		t.Fatalf("Copy() error = %v", err)
	}
	if !strings.HasSuffix(c.Path, ".tgz") || c.Revision != "6.0.0" || s.Verify(c) != nil {
		t.Errorf("Copy() = %+v", c)
	}

	for _, ext := range []string{"", "yaml", ".", ".YAML", "./x", ".a..b", ".tar.", ".a/b"} {
		t.Run("extension "+ext, func(t *testing.T) {
			if _, err := s.Store(context.Background(), "HelmRepository", "ns", "charts", strings.NewReader(index), ext, "r", nil); err == nil {
				t.Errorf("Store() with extension %q succeeded", ext)
			}
		})
	}
	if _, err := s.Copy(context.Background(), "HelmChart", "ns", "podinfo", chart+".missing", ".tgz", "r", nil); err == nil {
		t.Error("Copy() of a missing file succeeded")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Store(cancelled, "HelmRepository", "ns", "charts", strings.NewReader(index), ".yaml", "r", nil); err == nil {
		t.Error("Store() with a cancelled context succeeded")
	}
	assertNoTempFiles(t, s)
}

func TestLock(t *testing.T) {
	s := newTestStorage(t, 0)
	ctx := context.Background()
	unlock, err := s.Lock(ctx, "GitRepository", "ns", "app")
	if err != nil {
		t.Fatal(err)
	}
	// Another object is independent.
	other, err := s.Lock(ctx, "GitRepository", "ns", "other")
	if err != nil {
		t.Fatalf("Lock() of another object error = %v", err)
	}
	other()

	// The same object waits until the context ends.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, "GitRepository", "ns", "app"); err == nil {
		t.Fatal("second Lock() of a held object succeeded")
	}

	got := make(chan func(), 1)
	go func() {
		u, err := s.Lock(ctx, "gitrepository", "ns", "app") // kinds are case-insensitive
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	unlock()
	unlock() // harmless
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("Lock() did not return after the holder released it")
	}
	if n := s.locks.size(); n != 0 {
		t.Errorf("%d locks remain in memory after release", n)
	}
	if _, err := s.Lock(ctx, "GitRepository", "", "app"); err == nil {
		t.Error("Lock() with an empty namespace succeeded")
	}
}

// assertNoTempFiles fails if a temporary file is left in the storage.
func assertNoTempFiles(t *testing.T, s *Storage) {
	t.Helper()
	_ = filepath.WalkDir(s.Path(), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), tempPrefix) && p != s.Path() {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}
