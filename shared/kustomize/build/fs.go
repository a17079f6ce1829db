package build

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errOutsideRoot marks a path that leaves the source root.
var errOutsideRoot = errors.New("path leaves the source root")

// sourceFS is the file system Kustomize builds from: it reads through to the disk under root
// and never outside it (also not through a symlink), serves files held in memory (a generated
// or edited kustomization file, decrypted files) over the disk, decrypts SOPS-encrypted files
// as they are read when it has a decryptor, and refuses every write.
type sourceFS struct {
	root      string            // absolute, symlinks resolved
	overlay   map[string][]byte // absolute path -> content served instead of the disk
	decryptor Decryptor
	// clones matches the directories outside root that may be read and removed: Kustomize's
	// clones of remote bases. Nil when remote bases are refused.
	clones *regexp.Regexp
	// included lists, as spec.path would name them, the kustomization directories a
	// generated kustomization file includes, for messages about duplicate objects.
	included []string

	mu       sync.Mutex
	violated string // first path that left the root, relative to root
}

// newSourceFS returns a sourceFS confined to root.
func newSourceFS(root string, d Decryptor) (*sourceFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve source root: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve source root: %w", err)
	}
	return &sourceFS{root: resolved, overlay: map[string][]byte{}, decryptor: d}, nil
}

// within reports whether p (absolute and clean) is root or below it, or inside a clone of a
// remote base.
func (f *sourceFS) within(p string) bool {
	// The root may itself end with a separator (the filesystem's root, for the CLI).
	if p == f.root || strings.HasPrefix(p, strings.TrimSuffix(f.root, string(filepath.Separator))+string(filepath.Separator)) {
		return true
	}
	return f.clones != nil && f.clones.MatchString(p)
}

// rel renders p relative to the root for messages.
func (f *sourceFS) rel(p string) string {
	if r, err := filepath.Rel(f.root, p); err == nil {
		return r
	}
	return p
}

// resolve makes path absolute and checks that it, and whatever its existing part links to,
// stays inside the root. It records the first violation for Build to report.
func (f *sourceFS) resolve(path string) (string, error) {
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.root, p)
	}
	p = filepath.Clean(p)
	if !f.within(p) {
		return "", f.violation(p)
	}
	// Resolve symlinks on the longest existing prefix of p.
	existing, rest := p, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("failed to resolve %s: %w", f.rel(p), err)
	}
	real = filepath.Join(real, rest)
	if !f.within(real) {
		return "", f.violation(p)
	}
	return real, nil
}

// violation records and returns the error for a path leaving the root.
func (f *sourceFS) violation(p string) error {
	rel := f.rel(p)
	f.mu.Lock()
	if f.violated == "" {
		f.violated = rel
	}
	f.mu.Unlock()
	return fmt.Errorf("%w: %s", errOutsideRoot, rel)
}

// violation returns the first path that left the root, or "".
func (f *sourceFS) firstViolation() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.violated
}

// readOnly is the error of every write.
func (f *sourceFS) readOnly(path string) error {
	return fmt.Errorf("the source is read-only: cannot write %s", path)
}

// Create refuses: the source is read-only.
func (f *sourceFS) Create(path string) (filesys.File, error) { return nil, f.readOnly(path) }

// Mkdir refuses: the source is read-only.
func (f *sourceFS) Mkdir(path string) error { return f.readOnly(path) }

// MkdirAll refuses: the source is read-only.
func (f *sourceFS) MkdirAll(path string) error { return f.readOnly(path) }

// RemoveAll removes Kustomize's clones of remote bases when it cleans up, and refuses
// anything else: the source is read-only.
func (f *sourceFS) RemoveAll(path string) error {
	p := filepath.Clean(path)
	inRoot := p == f.root || strings.HasPrefix(p, f.root+string(filepath.Separator))
	if f.clones == nil || !f.clones.MatchString(p) || inRoot {
		return f.readOnly(path)
	}
	return os.RemoveAll(p)
}

// WriteFile refuses: the source is read-only.
func (f *sourceFS) WriteFile(path string, _ []byte) error { return f.readOnly(path) }

// Open opens a file for reading, from memory or from the disk.
func (f *sourceFS) Open(path string) (filesys.File, error) {
	data, err := f.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), name: filepath.Base(path), size: int64(len(data))}, nil
}

// IsDir reports whether path is a directory inside the root.
func (f *sourceFS) IsDir(path string) bool {
	p, err := f.resolve(path)
	if err != nil {
		return false
	}
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// Exists reports whether path exists inside the root, in memory or on disk.
func (f *sourceFS) Exists(path string) bool {
	p, err := f.resolve(path)
	if err != nil {
		return false
	}
	if _, ok := f.overlay[p]; ok {
		return true
	}
	_, err = os.Stat(p)
	return err == nil
}

// ReadDir lists the names in a directory, including files held in memory.
func (f *sourceFS) ReadDir(path string) ([]string, error) {
	p, err := f.resolve(path)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("failed to read directory %s: %w", f.rel(p), err)
	}
	seen := map[string]bool{}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
		seen[e.Name()] = true
	}
	for o := range f.overlay {
		if filepath.Dir(o) == p && !seen[filepath.Base(o)] {
			names = append(names, filepath.Base(o))
		}
	}
	sort.Strings(names)
	return names, nil
}

// CleanedAbs splits path into a confirmed directory and a file name (empty when path is a
// directory), resolving symlinks and refusing paths that leave the root.
func (f *sourceFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	p, err := f.resolve(path)
	if err != nil {
		return "", "", err
	}
	if f.IsDir(p) {
		return filesys.ConfirmedDir(p), "", nil
	}
	if _, ok := f.overlay[p]; !ok {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("%s does not exist", f.rel(p))
		}
	}
	return filesys.ConfirmedDir(filepath.Dir(p)), filepath.Base(p), nil
}

// Glob returns the paths inside the root matching pattern, hidden files excepted unless the
// pattern names them.
func (f *sourceFS) Glob(pattern string) ([]string, error) {
	if _, err := f.resolve(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if _, err := f.resolve(m); err == nil {
			out = append(out, m)
		}
	}
	if !filesys.IsHiddenFilePath(pattern) {
		out = filesys.RemoveHiddenFiles(out)
	}
	return out, nil
}

// ReadFile returns the content of a file: the in-memory version when there is one, else the
// disk's, decrypted when it is SOPS-encrypted and the build has a decryptor.
func (f *sourceFS) ReadFile(path string) ([]byte, error) {
	p, err := f.resolve(path)
	if err != nil {
		return nil, err
	}
	if data, ok := f.overlay[p]; ok {
		return data, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: %w", f.rel(p), err)
		}
		return nil, fmt.Errorf("failed to read %s: %w", f.rel(p), err)
	}
	if f.decryptor == nil {
		return data, nil
	}
	plain, _, err := f.decryptor.DecryptFile(p, data)
	if err != nil {
		return nil, fmt.Errorf("failed to decrypt %s: %w", f.rel(p), err)
	}
	return plain, nil
}

// Walk walks the directory tree at path on disk, staying inside the root.
func (f *sourceFS) Walk(path string, walkFn filepath.WalkFunc) error {
	p, err := f.resolve(path)
	if err != nil {
		return err
	}
	return filepath.Walk(p, walkFn)
}

// memFile is a read-only in-memory file.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

// Write refuses: the file is read-only.
func (m *memFile) Write([]byte) (int, error) { return 0, errors.New("read-only file") }

// Close does nothing.
func (m *memFile) Close() error { return nil }

// Stat describes the file.
func (m *memFile) Stat() (os.FileInfo, error) { return memInfo{name: m.name, size: m.size}, nil }

// memInfo is the os.FileInfo of a memFile.
type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() os.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
