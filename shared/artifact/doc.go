// Package artifact defines the artifact format that the source-controller
// serves and that the kustomize-controller and helm-controller consume: a
// deterministic tar.gz of regular files and directories, addressed by a
// Flux-format digest ("sha256:<hex>").
//
// The writer side is Build, which packs a directory into an archive. The
// reader side is Fetch, which downloads an archive, verifies its size and
// digest before anything is unpacked, and hands it to Extract, which unpacks
// untrusted archives under hard Limits.
//
// # Symbolic links
//
// Build never writes symbolic links. Extract accepts a symbolic link only
// when its target is relative and resolves inside the destination without
// passing through another symbolic link of the archive; any other link is
// rejected. Links are created after every other entry, and no entry may be
// written below a link, so nothing is ever written through one. Hard links
// must point to a regular file that appears earlier in the same archive.
// Devices, FIFOs and other special entries are always rejected.
//
// All writes of Extract go through an os.Root opened on the destination, so
// that no entry can escape it, even if the tree is changed concurrently.
package artifact

import (
	"errors"
	"fmt"
)

// ErrDigestMismatch is matched (with errors.Is) by errors reporting that
// downloaded content does not have the expected digest or size.
var ErrDigestMismatch = errors.New("artifact digest mismatch")

// ErrLimitExceeded is matched (with errors.Is) by errors reporting that an
// artifact exceeds one of its Limits.
var ErrLimitExceeded = errors.New("artifact limit exceeded")

// ErrUnsafeEntry is matched (with errors.Is) by errors reporting that an
// archive holds an entry that Extract refuses to unpack, such as a path
// escaping the destination, a device or a symbolic link leaving the root.
var ErrUnsafeEntry = errors.New("unsafe artifact entry")

// classError is an error with a user-facing message that also matches one
// of the package's sentinel errors.
type classError struct {
	class error
	err   error
}

// Error returns the user-facing message.
func (e *classError) Error() string { return e.err.Error() }

// Unwrap returns the sentinel class of the error and the error it wraps.
func (e *classError) Unwrap() []error { return []error{e.class, e.err} }

func classErrorf(class error, format string, args ...any) error {
	return &classError{class: class, err: fmt.Errorf(format, args...)}
}

// unsafef returns an error matching ErrUnsafeEntry.
func unsafef(format string, args ...any) error {
	return classErrorf(ErrUnsafeEntry, format, args...)
}

// limitf returns an error matching ErrLimitExceeded.
func limitf(format string, args ...any) error {
	return classErrorf(ErrLimitExceeded, format, args...)
}
