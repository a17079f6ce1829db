package artifact

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ExcludeFunc reports whether the entry at path, which is slash-separated
// and relative to the directory being packed, should be left out of an
// artifact. Excluding a directory leaves out everything below it.
type ExcludeFunc func(path string, isDir bool) bool

// epoch is the modification time of every entry Build writes.
var epoch = time.Unix(0, 0)

// Build packs the directory srcDir into a gzip-compressed tar archive at
// destPath and returns the archive's digest ("sha256:<hex>") and size in
// bytes.
//
// The archive is deterministic: entries are sorted by name; modification
// times, owners and groups are zeroed; modes are normalised to 0755 for
// directories and executable files and to 0644 for other files. Only
// regular files and directories are packed; symbolic links and special
// files are skipped. The same tree thus always gives the same digest with a
// given Go toolchain. exclude, if not nil, leaves entries out.
//
// The archive is written to a temporary file beside destPath and renamed
// into place, so readers never see a partial artifact. destPath must not be
// inside srcDir.
func Build(ctx context.Context, srcDir, destPath string, exclude ExcludeFunc) (digest string, size int64, err error) {
	if err := checkDestOutside(srcDir, destPath); err != nil {
		return "", 0, err
	}
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return "", 0, fmt.Errorf("failed to open source directory: %w", err)
	}
	defer root.Close()

	tmp, err := os.CreateTemp(filepath.Dir(destPath), "."+filepath.Base(destPath)+".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("failed to create temporary artifact file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(tmp, h)}
	if err := writeArchive(ctx, root, cw, exclude); err != nil {
		return "", 0, err
	}
	if err := FinishFile(tmp, destPath); err != nil {
		return "", 0, err
	}
	return sha256Digest(h.Sum(nil)), cw.n, nil
}

// checkDestOutside returns an error if destPath lies inside srcDir, where
// Build would pack its own output.
func checkDestOutside(srcDir, destPath string) error {
	src, err := filepath.Abs(srcDir)
	if err != nil {
		return fmt.Errorf("failed to resolve source directory: %w", err)
	}
	dest, err := filepath.Abs(destPath)
	if err != nil {
		return fmt.Errorf("failed to resolve artifact path: %w", err)
	}
	if rel, err := filepath.Rel(src, dest); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("artifact path %s is inside the source directory %s", destPath, srcDir)
	}
	return nil
}

// FinishFile makes the temporary file tmp durable and world-readable, closes it and renames it
// to destPath, so that readers see either no file or the whole artifact.
func FinishFile(tmp *os.File, destPath string) error {
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("failed to sync artifact file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("failed to set mode of artifact file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to close artifact file: %w", err)
	}
	if err := os.Rename(tmp.Name(), destPath); err != nil {
		return fmt.Errorf("failed to move artifact into place: %w", err)
	}
	return nil
}

// writeArchive writes the tree of root as a tar.gz stream to w.
func writeArchive(ctx context.Context, root *os.Root, w io.Writer, exclude ExcludeFunc) error {
	// The zero gzip header (no name, no time, unknown OS) keeps the output
	// independent of when and where it is built.
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := writeDir(ctx, root, tw, ".", exclude); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("failed to finish tar stream: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("failed to finish gzip stream: %w", err)
	}
	return nil
}

// writeDir writes the entries below dir, sorted by name, depth first.
func writeDir(ctx context.Context, root *os.Root, tw *tar.Writer, dir string, exclude ExcludeFunc) error {
	entries, err := readDir(root, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("failed to build artifact: %w", err)
		}
		name := path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if exclude != nil && exclude(name, true) {
				continue
			}
			hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: epoch}
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("failed to write directory %s: %w", name, err)
			}
			if err := writeDir(ctx, root, tw, name, exclude); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if exclude != nil && exclude(name, false) {
				continue
			}
			if err := writeFile(root, tw, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func readDir(root *os.Root, dir string) ([]fs.DirEntry, error) {
	d, err := root.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to open directory %s: %w", dir, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("failed to read directory %s: %w", dir, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// writeFile writes the regular file name as one entry of tw.
func writeFile(root *os.Root, tw *tar.Writer, name string) error {
	f, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("failed to open file %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat file %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("failed to pack file %s: it changed into a %s while packing", name, info.Mode().Type())
	}
	mode := int64(0o644)
	if info.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: info.Size(), ModTime: epoch}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("failed to write header of file %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, f, info.Size()); err != nil {
		return fmt.Errorf("failed to pack file %s: %w", name, err)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write writes p to the underlying writer and counts the bytes written.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
