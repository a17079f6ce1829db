package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarEntry is one entry of a crafted test archive.
type tarEntry struct {
	hdr  tar.Header
	body string
}

func fileEntry(name, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body: body}
}

func modeEntry(name, body string, mode int64) tarEntry {
	e := fileEntry(name, body)
	e.hdr.Mode = mode
	return e
}

func dirEntry(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

func linkEntry(typ byte, name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777}}
}

func specialEntry(typ byte, name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o644, Devmajor: 1, Devminor: 3}}
}

// tarBytes returns an uncompressed tar stream of entries.
func tarBytes(tb testing.TB, entries ...tarEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			tb.Fatalf("failed to write header %q: %v", hdr.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			tb.Fatalf("failed to write body of %q: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func tarGz(tb testing.TB, entries ...tarEntry) []byte {
	tb.Helper()
	return gzipBytes(tb, tarBytes(tb, entries...))
}

// writeTree creates the files of tree (path -> content) below dir; a path
// ending in "/" is a directory.
func writeTree(tb testing.TB, dir string, tree map[string]string) {
	tb.Helper()
	for name, content := range tree {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// assertConfined fails tb if anything but dest and the sentinel file exists
// in parent, if the sentinel changed, or if dest holds anything but regular
// files, directories and symbolic links that resolve inside dest, or any
// file with special mode bits.
func assertConfined(tb testing.TB, parent, dest, sentinel string) {
	tb.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(dest) && e.Name() != filepath.Base(sentinel) {
			tb.Fatalf("extraction wrote %q outside the destination", e.Name())
		}
	}
	if b, err := os.ReadFile(sentinel); err != nil || string(b) != "sentinel" {
		tb.Fatalf("sentinel outside the destination changed: %q, %v", b, err)
	}
	if _, err := os.Lstat(dest); os.IsNotExist(err) {
		return
	}
	err = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode()
		if mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky) != 0 {
			tb.Fatalf("%s has special mode bits %v", p, mode)
		}
		switch {
		case mode.IsRegular(), mode.IsDir():
		case mode&os.ModeSymlink != 0:
			assertLinkInside(tb, dest, p)
		default:
			tb.Fatalf("%s has unexpected type %v", p, mode.Type())
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func assertLinkInside(tb testing.TB, dest, link string) {
	tb.Helper()
	target, err := os.Readlink(link)
	if err != nil {
		tb.Fatal(err)
	}
	if filepath.IsAbs(target) {
		tb.Fatalf("symlink %s has absolute target %q", link, target)
	}
	resolved, err := filepath.EvalSymlinks(link)
	if err != nil {
		return // dangling or looping links cannot be followed anywhere
	}
	realDest, err := filepath.EvalSymlinks(dest)
	if err != nil {
		tb.Fatal(err)
	}
	if rel, err := filepath.Rel(realDest, resolved); err != nil || !filepath.IsLocal(rel) && rel != "." {
		tb.Fatalf("symlink %s -> %q resolves to %s, outside %s", link, target, resolved, realDest)
	}
}

// newConfinedDir returns a parent directory holding a sentinel file and the
// path of a not yet existing destination inside it.
func newConfinedDir(tb testing.TB) (parent, dest, sentinel string) {
	tb.Helper()
	parent = tb.TempDir()
	sentinel = filepath.Join(parent, "sentinel")
	if err := os.WriteFile(sentinel, []byte("sentinel"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return parent, filepath.Join(parent, "dest"), sentinel
}
