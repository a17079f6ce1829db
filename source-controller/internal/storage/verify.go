package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// ErrNotFound is matched (with errors.Is) by errors reporting that an
// artifact's file is not in the storage, for instance because it vanished
// from disk.
var ErrNotFound = errors.New("artifact not found in storage")

// ErrCorrupt is matched (with errors.Is) by errors reporting that an
// artifact's file does not have the recorded digest or size. Such errors
// also match artifact.ErrDigestMismatch.
var ErrCorrupt = errors.New("artifact corrupt in storage")

// Exists reports whether the file of a is a regular file in the storage.
// It does not read the file; Verify does.
func (s *Storage) Exists(a fluxmeta.Artifact) bool {
	rel, err := filePath(a.Path)
	if err != nil {
		return false
	}
	info, err := s.root.Stat(rel)
	return err == nil && info.Mode().IsRegular()
}

// Verify checks that the file of a is in the storage and has the recorded
// digest and, when recorded, size. Its errors match ErrNotFound or
// ErrCorrupt. A controller calls it after a restart to decide that an
// artifact need not be fetched again.
func (s *Storage) Verify(a fluxmeta.Artifact) error {
	want, err := artifact.ParseDigest(a.Digest)
	if err != nil {
		return fmt.Errorf("failed to verify artifact %s: %w", a.Path, err)
	}
	rel, err := filePath(a.Path)
	if err != nil {
		return fmt.Errorf("failed to verify artifact: %w", err)
	}
	f, err := s.root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to verify artifact %s: %w", rel, errors.Join(ErrNotFound, err))
	}
	if err != nil {
		return fmt.Errorf("failed to open artifact %s: %w", rel, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat artifact %s: %w", rel, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("failed to verify artifact %s: %w: it is not a regular file", rel, ErrNotFound)
	}
	if a.Size != nil && info.Size() != *a.Size {
		return fmt.Errorf("failed to verify artifact %s: %w: size is %d bytes, expected %d: %w",
			rel, ErrCorrupt, info.Size(), *a.Size, artifact.ErrDigestMismatch)
	}
	if err := want.Verify(f); err != nil {
		return fmt.Errorf("failed to verify artifact %s: %w: %w", rel, ErrCorrupt, err)
	}
	return nil
}

// filePath validates the storage-relative path of an artifact file: a
// local slash-separated path of at least four elements
// (kind/namespace/name/file) with no hidden element.
func filePath(p string) (string, error) {
	p = strings.TrimPrefix(p, "/")
	if !fs.ValidPath(p) || p == "." {
		return "", fmt.Errorf("invalid artifact path %q", p)
	}
	parts := strings.Split(p, "/")
	if len(parts) < 4 {
		return "", fmt.Errorf("invalid artifact path %q: expected <kind>/<namespace>/<name>/<file>", p)
	}
	for _, part := range parts {
		if strings.HasPrefix(part, tempPrefix) {
			return "", fmt.Errorf("invalid artifact path %q: hidden element %q", p, part)
		}
	}
	return path.Clean(p), nil
}
