package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// staleTempAge is how old a temporary file must be before GarbageCollect
// removes it: older than any write in progress, it was left by a crash.
const staleTempAge = time.Hour

// storedFile is one artifact file of an object directory.
type storedFile struct {
	name    string
	modTime time.Time
}

// List returns the storage-relative paths of an object's artifact files,
// newest first (by modification time, then by name). An object with no
// artifacts has an empty list.
func (s *Storage) List(kind, namespace, name string) ([]string, error) {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	files, _, err := s.readObjectDir(rel)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = path.Join(rel, f.name)
	}
	return paths, nil
}

// GarbageCollect removes an object's older artifacts. It keeps the newest
// Config.Retention files and, wherever it ranks, the file of current (the
// artifact in the object's status). Temporary files left by a crash are
// removed too. Only files directly in the object's directory are ever
// removed. It returns the storage-relative paths it removed.
func (s *Storage) GarbageCollect(ctx context.Context, kind, namespace, name string, current fluxmeta.Artifact) ([]string, error) {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	files, stale, err := s.readObjectDir(rel)
	if err != nil || (len(files) <= s.retention && len(stale) == 0) {
		return nil, err
	}
	obj, err := s.root.OpenRoot(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open artifact directory %s: %w", rel, err)
	}
	defer obj.Close()

	keep := ""
	if dir, file := path.Split(strings.TrimPrefix(current.Path, "/")); path.Clean(dir) == rel {
		keep = file
	}
	var doomed []string
	for i, f := range files {
		if i >= s.retention && f.name != keep {
			doomed = append(doomed, f.name)
		}
	}
	var removed []string
	for _, f := range append(doomed, stale...) {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("failed to collect artifacts of %s: %w", rel, err)
		}
		if err := obj.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("failed to remove artifact %s: %w", path.Join(rel, f), err)
		}
		removed = append(removed, path.Join(rel, f))
	}
	return removed, nil
}

// RemoveAll removes every artifact of an object, as when the object is
// deleted. Removing the artifacts of an object that has none is not an
// error. The kind and namespace directories stay, so that a concurrent
// write for another object in them never loses its directory.
func (s *Storage) RemoveAll(kind, namespace, name string) error {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return err
	}
	if err := s.root.RemoveAll(rel); err != nil {
		return fmt.Errorf("failed to remove artifacts of %s: %w", rel, err)
	}
	return nil
}

// readObjectDir returns the artifact files of the object directory rel,
// newest first, and the names of its stale temporary files. Directories,
// symbolic links and other entries are ignored.
func (s *Storage) readObjectDir(rel string) ([]storedFile, []string, error) {
	d, err := s.root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("failed to open artifact directory %s: %w", rel, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read artifact directory %s: %w", rel, err)
	}
	var files []storedFile
	var stale []string
	now := s.now()
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the directory was read
		}
		if err != nil {
			return nil, nil, fmt.Errorf("failed to stat artifact %s: %w", path.Join(rel, e.Name()), err)
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if now.Sub(info.ModTime()) > staleTempAge {
				stale = append(stale, e.Name())
			}
			continue
		}
		files = append(files, storedFile{name: e.Name(), modTime: info.ModTime()})
	}
	slices.SortFunc(files, func(a, b storedFile) int {
		if c := b.modTime.Compare(a.modTime); c != 0 {
			return c
		}
		return strings.Compare(b.name, a.name)
	})
	return files, stale, nil
}
