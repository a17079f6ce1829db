package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// Apply runs the copy operations in order into the directory dir, the artifact's root,
// reading each source from sources[alias] (the directory its artifact was extracted into).
// As cp does: a file goes to "<to>" or, when "<to>" ends with '/' or is a directory,
// "<to>/<file name>"; a directory goes to "<to>/<its name>" (the source's root: into "<to>");
// the files a glob matches go below "<to>" with their path below the part of the glob before
// its first wildcard ("dir/**" copies what dir holds). Errors caused by the sources' content
// match ErrBuild.
func Apply(ctx context.Context, ops []sourceextv1beta1.CopyOperation, sources map[string]string, dir string) error {
	dst, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("failed to open the artifact directory: %w", err)
	}
	defer dst.Close()
	for i, op := range ops {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := applyOne(ctx, op, sources, dst); err != nil {
			return fmt.Errorf("copy[%d] from '%s' to '%s': %w", i, op.From, op.To, err)
		}
	}
	return nil
}

// copier runs one copy operation.
type copier struct {
	ctx   context.Context
	op    sourceextv1beta1.CopyOperation
	alias string
	// base is the part of From before its first wildcard (all of it without one): exclude
	// patterns are also matched against the paths below it.
	base string
	src  *os.Root
	dst  *os.Root
}

func applyOne(ctx context.Context, op sourceextv1beta1.CopyOperation, sources map[string]string, dst *os.Root) error {
	alias, pattern, err := ParseFrom(op.From)
	if err != nil {
		return err
	}
	to, toDir, err := ParseTo(op.To)
	if err != nil {
		return err
	}
	srcDir, ok := sources[alias]
	if !ok {
		return invalidf("source alias '%s' is not declared in spec.sources", alias)
	}
	src, err := os.OpenRoot(srcDir)
	if err != nil {
		return fmt.Errorf("failed to open source '%s': %w", alias, err)
	}
	defer src.Close()
	c := &copier{ctx: ctx, op: op, alias: alias, src: src, dst: dst}
	if strings.ContainsAny(pattern, "*?[{") {
		c.base, _ = doublestar.SplitPattern(pattern)
		return c.glob(pattern, to)
	}
	c.base = path.Clean("/" + pattern)[1:]
	return c.single(c.base, to, toDir)
}

// single copies one file or directory p ("" for the source's root).
func (c *copier) single(p, to string, toDir bool) error {
	name := p
	if name == "" {
		name = "."
	}
	info, err := c.src.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return buildf("'%s' does not exist in source '%s'", p, c.alias)
	}
	if err != nil {
		return fmt.Errorf("failed to read '%s' of source '%s': %w", p, c.alias, err)
	}
	if info.IsDir() {
		if c.op.Strategy == sourceextv1beta1.ExtractStrategy {
			return buildf("the Extract strategy takes tarballs, and '%s' of source '%s' is a directory", p, c.alias)
		}
		if p != "" {
			to = path.Join(to, path.Base(p))
		}
		_, err := copyTree(c.ctx, c.src, name, c.dst, to, c.excluded, c.write)
		return err
	}
	if c.excluded(p) {
		return nil
	}
	if c.op.Strategy == sourceextv1beta1.ExtractStrategy {
		if !isTarball(p) {
			return buildf("the Extract strategy takes tarballs (.tar.gz, .tgz), and '%s' of source '%s' is not one", p, c.alias)
		}
		return c.extract(p, to)
	}
	if toDir || isDir(c.dst, to) {
		to = path.Join(to, path.Base(p))
	}
	return c.write(c.src, p, to)
}

// glob copies what pattern matches below to: each match keeps its path below the part of
// the pattern before the first wildcard. A glob that matches nothing, or only excluded
// files, fails.
func (c *copier) glob(pattern, to string) error {
	base := c.base
	if info, err := c.src.Stat(base); err != nil || !info.IsDir() {
		return buildf("'%s' matches no file in source '%s'", pattern, c.alias)
	}
	matched, copied := 0, 0
	err := fs.WalkDir(c.src.FS(), base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == base || !doublestar.MatchUnvalidated(pattern, p) {
			return err
		}
		matched++
		below := strings.TrimPrefix(strings.TrimPrefix(p, base), "/")
		if base == "." {
			below = p
		}
		n, err := c.copyMatch(p, d, path.Join(to, below))
		copied += n
		if err == nil && d.IsDir() {
			return fs.SkipDir
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case matched == 0:
		return buildf("'%s' matches no file in source '%s'", pattern, c.alias)
	case copied == 0 && c.op.Strategy != sourceextv1beta1.ExtractStrategy:
		return buildf("every file '%s' matches in source '%s' is excluded", pattern, c.alias)
	}
	return nil
}

// copyMatch copies one match of a glob, a file or a whole directory, to to, and returns the
// number of files it copied. With the Extract strategy, directories and files that are not
// tarballs are skipped, and tarballs are unpacked into the operation's destination.
func (c *copier) copyMatch(p string, d fs.DirEntry, to string) (int, error) {
	if c.op.Strategy == sourceextv1beta1.ExtractStrategy {
		if d.IsDir() || !isTarball(p) || c.excluded(p) {
			return 0, nil
		}
		dest, _, _ := ParseTo(c.op.To)
		return 1, c.extract(p, dest)
	}
	if d.IsDir() {
		return copyTree(c.ctx, c.src, p, c.dst, to, c.excluded, c.write)
	}
	if !isFile(c.src, p) || c.excluded(p) {
		return 0, nil
	}
	return 1, c.write(c.src, p, to)
}

// excluded reports whether a file is left out by the operation's exclude patterns, matched
// against its path below the source's root (full) and below the part of From before its
// first wildcard; a pattern without '/' matches the file name at any depth.
func (c *copier) excluded(full string) bool {
	below := full
	if c.base != "." && c.base != "" {
		below = strings.TrimPrefix(full, c.base+"/")
	}
	for _, ex := range c.op.Exclude {
		if !strings.Contains(ex, "/") {
			if doublestar.MatchUnvalidated(ex, path.Base(full)) {
				return true
			}
			continue
		}
		if doublestar.MatchUnvalidated(ex, full) || doublestar.MatchUnvalidated(ex, below) {
			return true
		}
	}
	return false
}

// write copies the file p of root from to the path to in the artifact: with the Merge
// strategy it merges into a file copied there earlier.
func (c *copier) write(from *os.Root, p, to string) error {
	data, err := from.ReadFile(p)
	if err != nil {
		return fmt.Errorf("failed to read '%s': %w", p, err)
	}
	if to == "" {
		return buildf("'%s' cannot be copied over the artifact's root", p)
	}
	if isDir(c.dst, to) {
		return buildf("'%s' cannot replace the directory '%s' of the artifact", p, to)
	}
	if c.op.Strategy == sourceextv1beta1.MergeStrategy && isFile(c.dst, to) {
		base, err := c.dst.ReadFile(to)
		if err != nil {
			return fmt.Errorf("failed to read '%s' of the artifact: %w", to, err)
		}
		if data, err = mergeYAML(base, data); err != nil {
			return buildf("failed to merge '%s' of source '%s' into '%s': %v", p, c.alias, to, err)
		}
	}
	mode := os.FileMode(0o644)
	if info, err := from.Stat(p); err == nil && info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	if dir := path.Dir(to); dir != "." {
		if err := c.dst.MkdirAll(dir, 0o755); err != nil {
			return buildf("failed to create the directory '%s' of the artifact: %v", dir, err)
		}
	}
	if err := c.dst.WriteFile(to, data, mode); err != nil {
		return fmt.Errorf("failed to write '%s' of the artifact: %w", to, err)
	}
	return nil
}

// extract unpacks the tarball p into the directory to of the artifact, through a temporary
// directory, so that its files replace (or, with Merge, merge into) earlier ones and the
// unpacking keeps the limits and checks of every artifact.
func (c *copier) extract(p, to string) error {
	f, err := c.src.Open(p)
	if err != nil {
		return fmt.Errorf("failed to open '%s': %w", p, err)
	}
	defer f.Close()
	tmp, err := os.MkdirTemp("", "generator-extract-")
	if err != nil {
		return fmt.Errorf("failed to create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := artifact.Extract(f, tmp, artifact.Limits{}); err != nil {
		return buildf("failed to extract '%s' of source '%s': %v", p, c.alias, err)
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return fmt.Errorf("failed to open temporary directory: %w", err)
	}
	defer root.Close()
	_, err = copyTree(c.ctx, root, ".", c.dst, to, func(string) bool { return false }, c.write)
	return err
}

// copyTree copies the regular files below dir of from to the directory to of dst, skipping
// those excluded says so (given their path below from's root), and returns how many it
// copied.
func copyTree(ctx context.Context, from *os.Root, dir string, dst *os.Root, to string,
	excluded func(full string) bool, write func(*os.Root, string, string) error) (int, error) {
	n := 0
	err := fs.WalkDir(from.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		below := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		if dir == "." {
			below = p
		}
		if d.IsDir() || !isFile(from, p) || excluded(p) {
			return nil
		}
		n++
		return write(from, p, path.Join(to, below))
	})
	return n, err
}

// isTarball reports whether name is a gzip-compressed tarball by its extension.
func isTarball(name string) bool {
	return strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".tgz")
}

// isFile reports whether p is, or links within root to, a regular file.
func isFile(root *os.Root, p string) bool {
	info, err := root.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// isDir reports whether p is a directory of root ("" is the root).
func isDir(root *os.Root, p string) bool {
	if p == "" {
		p = "."
	}
	info, err := root.Stat(p)
	return err == nil && info.IsDir()
}
