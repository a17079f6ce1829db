package artifact

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// Extract unpacks the gzip-compressed tar archive read from r into destDir,
// which is created if it does not exist and should be empty.
//
// The archive is untrusted: Extract enforces limits (total size of the
// files, size of each file, number of entries, size of the decompressed
// stream) and rejects absolute paths, paths escaping destDir, devices,
// FIFOs, hard links to anything but an earlier file of the archive, and
// symbolic links that are absolute or resolve outside destDir (see the
// package documentation). Files get mode 0644, or 0755 when the archive
// marks them executable; directories get 0755. Owners, times and special
// mode bits such as setuid are never restored.
//
// On error destDir may hold part of the archive; callers remove it. Errors
// caused by the archive match ErrLimitExceeded or ErrUnsafeEntry.
func Extract(r io.Reader, destDir string, limits Limits) error {
	limits = limits.withDefaults()
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("failed to create destination directory: %w", err)
	}
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return fmt.Errorf("failed to open destination directory: %w", err)
	}
	defer root.Close()

	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("failed to read artifact as gzip: %w", err)
	}
	defer gz.Close()
	stream := &limitedReader{r: gz, limit: limits.streamLimit()}
	x := &extractor{root: root, limits: limits, entries: make(map[string]entryKind)}
	tr := tar.NewReader(stream)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		// With GODEBUG=tarinsecurepath=0 the reader flags unsafe names
		// itself; the checks of add report them more clearly.
		if err != nil && (hdr == nil || !errors.Is(err, tar.ErrInsecurePath)) {
			return fmt.Errorf("failed to read artifact as tar: %w", err)
		}
		if err := x.add(hdr, tr); err != nil {
			return err
		}
	}
	// Reading the rest of the gzip stream verifies its checksum.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return fmt.Errorf("failed to read artifact as gzip: %w", err)
	}
	return x.createSymlinks()
}

// entryKind is what a name of the archive refers to.
type entryKind int

const (
	kindDir entryKind = iota + 1
	kindFile
	kindSymlink
)

// symlink is a symbolic link of the archive, created once all other entries
// are unpacked.
type symlink struct {
	name   string
	target string
}

// extractor holds the state of one Extract call.
type extractor struct {
	root    *os.Root
	limits  Limits
	entries map[string]entryKind // every name unpacked so far, with its parents
	size    int64                // bytes of file content written so far
	links   []symlink
}

// add unpacks one entry of the archive, whose content is read from r.
func (x *extractor) add(hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // archive-wide metadata, such as git archive's commit id
	}
	name, err := localName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if hdr.Typeflag == tar.TypeDir {
			return nil // the root itself, as in archives made with "tar -C dir ."
		}
		return unsafef("entry %q would replace the artifact root", hdr.Name)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.addDir(name)
	case tar.TypeReg:
		return x.addFile(name, hdr, r)
	case tar.TypeLink:
		return x.addHardlink(name, hdr.Linkname)
	case tar.TypeSymlink:
		return x.addSymlink(name, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return unsafef("entry %q is a device file, which artifacts may not contain", hdr.Name)
	case tar.TypeFifo:
		return unsafef("entry %q is a FIFO, which artifacts may not contain", hdr.Name)
	default:
		return unsafef("entry %q has the unsupported tar type %q", hdr.Name, hdr.Typeflag)
	}
}

// register records name and its parent directories, rejecting names that
// conflict with earlier entries and enforcing the entry count limit.
func (x *extractor) register(name string, kind entryKind) error {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		k, ok := x.entries[dir]
		if ok && k == kindDir {
			break // its parents were registered with it
		}
		if ok {
			return unsafef("entry %q is below %q, which is not a directory", name, dir)
		}
		x.entries[dir] = kindDir
		if err := x.checkCount(); err != nil {
			return err
		}
	}
	if k, ok := x.entries[name]; ok {
		if k == kindDir && kind == kindDir {
			return nil
		}
		return unsafef("entry %q appears more than once in the artifact", name)
	}
	x.entries[name] = kind
	return x.checkCount()
}

func (x *extractor) checkCount() error {
	if len(x.entries) > x.limits.MaxFiles {
		return limitf("artifact exceeds the limit of %d files", x.limits.MaxFiles)
	}
	return nil
}

// mkParent creates the parent directories of name.
func (x *extractor) mkParent(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	if err := x.root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create directory %s: %w", dir, err)
	}
	return nil
}

func (x *extractor) addDir(name string) error {
	if err := x.register(name, kindDir); err != nil {
		return err
	}
	if err := x.root.MkdirAll(name, 0o755); err != nil {
		return fmt.Errorf("failed to create directory %s: %w", name, err)
	}
	return nil
}

func (x *extractor) addFile(name string, hdr *tar.Header, r io.Reader) error {
	if hdr.Size > x.limits.MaxFileSize {
		return limitf("entry %q is %d bytes, over the per-file limit of %d bytes",
			name, hdr.Size, x.limits.MaxFileSize)
	}
	if hdr.Size > x.limits.MaxSize-x.size {
		return limitf("artifact exceeds the size limit of %d bytes", x.limits.MaxSize)
	}
	if err := x.register(name, kindFile); err != nil {
		return err
	}
	if err := x.mkParent(name); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		mode = 0o755
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("failed to create file %s: %w", name, err)
	}
	n, err := io.Copy(f, io.LimitReader(r, hdr.Size))
	x.size += n
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to write file %s: %w", name, err)
	}
	return nil
}

func (x *extractor) addHardlink(name, linkname string) error {
	target, err := localName(linkname)
	if err != nil {
		return unsafef("hard link %q points to %q, outside the artifact root", name, linkname)
	}
	if x.entries[target] != kindFile {
		return unsafef("hard link %q points to %q, which is not a regular file earlier in the artifact",
			name, linkname)
	}
	if err := x.register(name, kindFile); err != nil {
		return err
	}
	if err := x.mkParent(name); err != nil {
		return err
	}
	if err := x.root.Link(target, name); err != nil {
		return fmt.Errorf("failed to create hard link %s: %w", name, err)
	}
	return nil
}

func (x *extractor) addSymlink(name, target string) error {
	switch {
	case target == "":
		return unsafef("symbolic link %q has an empty target", name)
	case len(target) > maxNameLength:
		return unsafef("symbolic link %q has a target longer than %d bytes", name, maxNameLength)
	case path.IsAbs(target):
		return unsafef("symbolic link %q points to the absolute path %q", name, target)
	}
	if err := x.register(name, kindSymlink); err != nil {
		return err
	}
	x.links = append(x.links, symlink{name: name, target: target})
	return nil
}
