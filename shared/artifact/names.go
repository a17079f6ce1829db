package artifact

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// localName validates the name of an archive entry and returns it cleaned
// and relative to the artifact root; "." is the root itself.
func localName(raw string) (string, error) {
	switch {
	case raw == "":
		return "", unsafef("artifact has an entry with an empty name")
	case len(raw) > maxNameLength:
		return "", unsafef("artifact has an entry name longer than %d bytes", maxNameLength)
	case strings.ContainsRune(raw, 0):
		return "", unsafef("entry %q has a NUL byte in its name", raw)
	case path.IsAbs(raw) || filepath.IsAbs(raw):
		return "", unsafef("entry %q has an absolute path", raw)
	}
	name := path.Clean(raw)
	if name != "." && !filepath.IsLocal(name) {
		return "", unsafef("entry %q escapes the artifact root", raw)
	}
	return name, nil
}

// createSymlinks checks every symbolic link of the archive against the
// complete list of entries and creates it. Links are created last so that
// no entry of the archive is ever written through one.
func (x *extractor) createSymlinks() error {
	for _, l := range x.links {
		if err := x.checkSymlink(l); err != nil {
			return err
		}
	}
	for _, l := range x.links {
		if err := x.mkParent(l.name); err != nil {
			return err
		}
		if err := x.root.Symlink(l.target, l.name); err != nil {
			return fmt.Errorf("failed to create symbolic link %s: %w", l.name, err)
		}
	}
	return nil
}

// checkSymlink resolves the target of l lexically from the directory of
// l, which is a real directory of the archive. The resolution is exact only
// if no component but the last is itself a symbolic link (a ".." after a
// link would climb from the link's target, not from where the link is), so
// such targets are rejected; a last component that is a link is safe as
// that link is checked too.
func (x *extractor) checkSymlink(l symlink) error {
	var stack []string
	if dir := path.Dir(l.name); dir != "." {
		stack = strings.Split(dir, "/")
	}
	parts := strings.Split(l.target, "/")
	for i, p := range parts {
		switch p {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return unsafef("symbolic link %q points to %q, outside the artifact root", l.name, l.target)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, p)
		via := strings.Join(stack, "/")
		if i < len(parts)-1 && x.entries[via] == kindSymlink {
			return unsafef("symbolic link %q points to %q through the symbolic link %q, which artifacts may not do",
				l.name, l.target, via)
		}
	}
	return nil
}

// limitedReader reads at most limit bytes from r and then fails with an
// error matching ErrLimitExceeded.
type limitedReader struct {
	r     io.Reader
	limit int64
	read  int64
}

// Read reads from the underlying reader within the remaining budget.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.read >= l.limit {
		// Probe for one more byte, so that a stream of exactly the
		// limit still ends cleanly.
		var b [1]byte
		if n, err := l.r.Read(b[:]); n == 0 {
			return 0, err
		}
		return 0, limitf("artifact exceeds the limit of %d bytes of decompressed tar data", l.limit)
	}
	if int64(len(p)) > l.limit-l.read {
		p = p[:l.limit-l.read]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}
