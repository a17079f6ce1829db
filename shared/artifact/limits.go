package artifact

import "math"

const (
	// DefaultMaxDownloadSize is the default limit, in bytes, on the size of
	// a compressed artifact that Fetch downloads: 100 MiB.
	DefaultMaxDownloadSize int64 = 100 << 20
	// DefaultMaxSize is the default limit, in bytes, on the total size of
	// the files of an unpacked artifact: 100 MiB.
	DefaultMaxSize int64 = 100 << 20
	// DefaultMaxFileSize is the default limit, in bytes, on the size of any
	// one unpacked file: 50 MiB.
	DefaultMaxFileSize int64 = 50 << 20
	// DefaultMaxFiles is the default limit on the number of entries (files,
	// directories and links) of an unpacked artifact: 10,000.
	DefaultMaxFiles = 10_000
)

// maxNameLength is the longest entry name Extract accepts, in bytes; it
// matches PATH_MAX on Linux.
const maxNameLength = 4096

// headerAllowance is how many bytes of tar headers and padding, per entry,
// Extract reads on top of Limits.MaxSize before it gives up on the stream.
const headerAllowance = 8 << 10

// Limits bounds the resources that Fetch and Extract spend on one artifact.
// A field that is zero or negative takes its default value, so the zero
// Limits is the same as DefaultLimits(); there is no way to lift a limit
// entirely.
type Limits struct {
	// MaxDownloadSize is the largest compressed artifact, in bytes, that
	// Fetch downloads.
	MaxDownloadSize int64
	// MaxSize is the largest total size, in bytes, of the unpacked files.
	MaxSize int64
	// MaxFileSize is the largest size, in bytes, of any one unpacked file.
	MaxFileSize int64
	// MaxFiles is the largest number of entries (files, directories, links,
	// including directories created implicitly) of an unpacked artifact.
	MaxFiles int
}

// DefaultLimits returns the limits used when none are configured.
func DefaultLimits() Limits {
	return Limits{
		MaxDownloadSize: DefaultMaxDownloadSize,
		MaxSize:         DefaultMaxSize,
		MaxFileSize:     DefaultMaxFileSize,
		MaxFiles:        DefaultMaxFiles,
	}
}

// withDefaults returns l with every unset field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDownloadSize <= 0 {
		l.MaxDownloadSize = d.MaxDownloadSize
	}
	if l.MaxSize <= 0 {
		l.MaxSize = d.MaxSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	return l
}

// streamLimit is the most decompressed bytes Extract reads: the file
// content limit plus an allowance for headers and padding per entry.
func (l Limits) streamLimit() int64 {
	allowance := int64(l.MaxFiles+1) * headerAllowance
	if allowance < 0 || l.MaxSize > math.MaxInt64-allowance {
		return math.MaxInt64
	}
	return l.MaxSize + allowance
}
