package setters

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Result is what Update did under a path.
type Result struct {
	// Files are the files written, slash paths relative to the root, sorted.
	Files []string
	// Changes are the fields rewritten, file by file in path order, top to bottom.
	Changes []Change
	// Skipped are the markers (and the files with markers that do not parse) left alone.
	Skipped []Skip
}

// Update applies the markers of every .yaml and .yml file below path (a slash path
// relative to root, "" or "." for root itself) and writes the files that change. Directories
// named .git and symbolic links are not followed. A file with a marker that does not parse is
// reported in Skipped and left alone.
func Update(root, path string, resolve Resolve) (Result, error) {
	var res Result
	if path == "" {
		path = "."
	}
	local := filepath.FromSlash(path)
	if !filepath.IsLocal(local) && filepath.Clean(local) != "." {
		return res, fmt.Errorf("path '%s' must be relative and stay inside the repository", path)
	}
	start := filepath.Join(root, local)
	if info, err := os.Stat(start); err != nil || !info.IsDir() {
		return res, fmt.Errorf("path '%s' is not a directory of the repository", path)
	}
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isYAML(p) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return res.file(p, filepath.ToSlash(rel), resolve)
	})
	if err != nil {
		return res, fmt.Errorf("failed to update the files under '%s': %w", path, err)
	}
	sort.Strings(res.Files)
	return res, nil
}

// file applies the markers of the file at p (rel relative to the root) into res.
func (res *Result) file(p, rel string, resolve Resolve) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	out, changes, skips, err := ApplyFile(rel, data, resolve)
	if err != nil {
		reason := err.Error()
		if cause := errors.Unwrap(err); cause != nil {
			reason = "the file does not parse as YAML: " + cause.Error()
		}
		res.Skipped = append(res.Skipped, Skip{File: rel, Reason: reason})
		return nil
	}
	res.Changes = append(res.Changes, changes...)
	res.Skipped = append(res.Skipped, skips...)
	if len(changes) == 0 {
		return nil
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		return err
	}
	res.Files = append(res.Files, rel)
	return nil
}

// isYAML reports whether the file name ends in .yaml or .yml.
func isYAML(p string) bool {
	ext := filepath.Ext(p)
	return ext == ".yaml" || ext == ".yml"
}
