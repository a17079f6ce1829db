package artifact

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

var sampleTree = map[string]string{
	"README.md":              "# app",
	"deploy/app.yaml":        "kind: Deployment",
	"deploy/empty/":          "",
	"deploy/svc.yaml":        "kind: Service",
	"scripts/run.sh":         "#!/bin/sh",
	".git/HEAD":              "ref: refs/heads/main",
	"a.txt":                  "a",
	"a/b.txt":                "b",
	"deploy/overlays/x.yaml": "x",
}

// newSampleTree writes sampleTree into a new directory, with the given
// modification time and modes, plus a symlink and a FIFO that Build skips.
func newSampleTree(t *testing.T, mtime time.Time, fileMode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, sampleTree)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if !d.IsDir() {
			if err := os.Chmod(p, fileMode); err != nil {
				return err
			}
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "scripts/run.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "deploy/link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBuildIsDeterministic(t *testing.T) {
	src1 := newSampleTree(t, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), 0o600)
	src2 := newSampleTree(t, time.Now(), 0o664)
	out := t.TempDir()
	var digests []string
	for i, src := range []string{src1, src2, src1} {
		dest := filepath.Join(out, "artifact-"+string(rune('a'+i))+".tar.gz")
		digest, size, err := Build(context.Background(), src, dest, nil)
		if err != nil {
			t.Fatalf("Build() error = %v", err)
		}
		fileDigest, fileSize, err := DigestFile(dest)
		if err != nil {
			t.Fatal(err)
		}
		if digest != fileDigest || size != fileSize {
			t.Errorf("Build() = %s, %d; the file has %s, %d", digest, size, fileDigest, fileSize)
		}
		digests = append(digests, digest)
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("digests differ for the same tree: %v", digests)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("output directory has %d entries, want 3 artifacts and no temporary file", len(entries))
	}
}

func TestBuildEntries(t *testing.T) {
	src := newSampleTree(t, time.Now(), 0o640)
	dest := filepath.Join(t.TempDir(), "a.tar.gz")
	exclude := func(p string, isDir bool) bool {
		return (isDir && p == ".git") || (!isDir && strings.HasSuffix(p, ".md"))
	}
	if _, _, err := Build(context.Background(), src, dest, exclude); err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	hdrs := readHeaders(t, dest)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
		want := int64(0o644)
		if h.Typeflag == tar.TypeDir || h.Name == "scripts/run.sh" {
			want = 0o755
		}
		if h.Mode != want || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.ModTime.Unix() != 0 {
			t.Errorf("%s: mode %o uid %d gid %d uname %q gname %q mtime %v; want normalised",
				h.Name, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		if h.Typeflag != tar.TypeDir && h.Typeflag != tar.TypeReg {
			t.Errorf("%s has type %q", h.Name, h.Typeflag)
		}
	}
	want := []string{"a/", "a/b.txt", "a.txt", "deploy/", "deploy/app.yaml", "deploy/empty/",
		"deploy/overlays/", "deploy/overlays/x.yaml", "deploy/svc.yaml", "scripts/", "scripts/run.sh"}
	if !slices.Equal(names, want) {
		t.Errorf("entries = %q, want %q", names, want)
	}
}

func TestBuildErrors(t *testing.T) {
	src := newSampleTree(t, time.Now(), 0o644)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		src     string
		dest    string
		wantMsg string
	}{
		{"destination inside the source", context.Background(), src, filepath.Join(src, "deploy", "a.tar.gz"),
			"is inside the source directory"},
		{"missing source", context.Background(), filepath.Join(src, "nope"), filepath.Join(t.TempDir(), "a.tar.gz"),
			"failed to open source directory"},
		{"cancelled context", cancelled, src, filepath.Join(t.TempDir(), "a.tar.gz"), "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Build(tt.ctx, tt.src, tt.dest, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Build() error = %v, want it to contain %q", err, tt.wantMsg)
			}
			if _, err := os.Stat(tt.dest); !os.IsNotExist(err) {
				t.Errorf("Build() left %s behind", tt.dest)
			}
			if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(tt.dest), ".*.tmp-*")); len(matches) > 0 {
				t.Errorf("Build() left temporary files %v", matches)
			}
		})
	}
}

func readHeaders(t *testing.T, archive string) []*tar.Header {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var hdrs []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
	}
}
