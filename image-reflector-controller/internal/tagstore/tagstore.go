// Package tagstore keeps the tags of every ImageRepository on disk under --storage-path, so
// that they survive a restart and the controller's memory does not grow with them. Each
// repository has a directory, <root>/<namespace>/<name>/, holding its tag lists by content:
// a list is stored once, sorted and newline-separated, in a file named after its SHA-256,
// and "sha256:<hex>" is the revision the ImageRepository's status names. A list is written
// to a temporary file and renamed into place, so a reader sees a whole list or none; it is
// read on demand and checked against its name; storing a new list removes the older ones
// (all but the new one and the one the status still names), so nothing runs in the
// background.
package tagstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNotFound is returned for a revision the store does not hold.
var ErrNotFound = errors.New("tags not found in the store")

// revisionPrefix starts every revision.
const revisionPrefix = "sha256:"

// tmpPrefix starts the name of a list being written.
const tmpPrefix = ".tmp-"

// Store is a tag store rooted at a directory.
type Store struct {
	root string
}

// Open opens (creating it if needed) the store rooted at dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("failed to create the tag store %s: %w", dir, err)
	}
	return &Store{root: dir}, nil
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Revision is the revision of a tag list: "sha256:<hex>" of its sorted, newline-terminated
// form, so it changes exactly when the set of tags does.
func Revision(tags []string) string {
	_, rev := encode(tags)
	return rev
}

// encode returns the stored form of tags and its revision.
func encode(tags []string) ([]byte, string) {
	sorted := slices.Clone(tags)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	for _, t := range sorted {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return []byte(b.String()), revisionPrefix + hex.EncodeToString(sum[:])
}

// Put stores the tags of the repository namespace/name and returns their revision. Every
// older list of the repository is removed, except keep (the revision its status names until
// the new one is written there).
func (s *Store) Put(namespace, name string, tags []string, keep string) (string, error) {
	dir, err := s.dir(namespace, name)
	if err != nil {
		return "", err
	}
	data, rev := encode(tags)
	file := filepath.Join(dir, strings.TrimPrefix(rev, revisionPrefix))
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(dir, file, data); err != nil {
			return "", fmt.Errorf("failed to store the tags of %s/%s: %w", namespace, name, err)
		}
	} else if err != nil {
		return "", fmt.Errorf("failed to store the tags of %s/%s: %w", namespace, name, err)
	}
	if err := prune(dir, rev, keep); err != nil {
		return "", fmt.Errorf("failed to remove older tags of %s/%s: %w", namespace, name, err)
	}
	return rev, nil
}

// Tags returns the tags of the repository namespace/name at revision, sorted. It returns an
// error wrapping ErrNotFound when the store does not hold them (or holds a damaged copy).
func (s *Store) Tags(namespace, name, revision string) ([]string, error) {
	file, err := s.file(namespace, name, revision)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("failed to read the tags of %s/%s at %s: %w", namespace, name, revision, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the tags of %s/%s at %s: %w", namespace, name, revision, err)
	}
	sum := sha256.Sum256(data)
	if revisionPrefix+hex.EncodeToString(sum[:]) != revision {
		return nil, fmt.Errorf("failed to read the tags of %s/%s at %s: the stored copy is damaged: %w", namespace, name, revision, ErrNotFound)
	}
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return []string{}, nil
	}
	return strings.Split(text, "\n"), nil
}

// Has reports whether the store holds the repository's tags at revision.
func (s *Store) Has(namespace, name, revision string) bool {
	file, err := s.file(namespace, name, revision)
	if err != nil {
		return false
	}
	_, err = os.Stat(file)
	return err == nil
}

// Delete removes every tag list of the repository namespace/name.
func (s *Store) Delete(namespace, name string) error {
	dir, err := s.path(namespace, name)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("failed to remove the tags of %s/%s: %w", namespace, name, err)
	}
	_ = os.Remove(filepath.Dir(dir)) // the namespace's directory, when it is empty
	return nil
}

// file is the path of the list of revision.
func (s *Store) file(namespace, name, revision string) (string, error) {
	sum, ok := strings.CutPrefix(revision, revisionPrefix)
	if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != sha256.Size*2 {
		return "", fmt.Errorf("failed to read the tags of %s/%s: '%s' is not a revision of the store", namespace, name, revision)
	}
	dir, err := s.path(namespace, name)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, sum), nil
}

// dir returns the repository's directory, created if needed.
func (s *Store) dir(namespace, name string) (string, error) {
	dir, err := s.path(namespace, name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("failed to create the tag directory of %s/%s: %w", namespace, name, err)
	}
	return dir, nil
}

// path is the repository's directory. Kubernetes names never hold a slash or are "." or
// "..", but the store does not take that on trust.
func (s *Store) path(namespace, name string) (string, error) {
	for _, part := range []string{namespace, name} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", fmt.Errorf("failed to locate the tags of %s/%s: not a Kubernetes name", namespace, name)
		}
	}
	return filepath.Join(s.root, namespace, name), nil
}

// writeAtomic writes data to file through a temporary file in dir renamed into place.
func writeAtomic(dir, file string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// prune removes the lists of dir other than the revisions keep and current, and what an
// interrupted write left behind.
func prune(dir, current, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		rev := revisionPrefix + e.Name()
		if rev == current || rev == keep {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
