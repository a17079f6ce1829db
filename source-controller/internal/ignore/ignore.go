// Package ignore decides which files of a source tree are left out of an
// artifact: default exclusions, .sourceignore files and spec.ignore, all in
// gitignore syntax.
package ignore

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// DefaultIgnoreFile is the name of the per-directory ignore file.
const DefaultIgnoreFile = ".sourceignore"

// VCSPatterns are the exclusions applied to every source: Git metadata never
// belongs in an artifact, whatever spec.ignore says.
var VCSPatterns = []string{".git/", ".gitignore", ".gitmodules", ".gitattributes"}

// DefaultPatterns are the exclusions applied besides VCSPatterns unless
// spec.ignore is set: CI configuration and common binary files.
var DefaultPatterns = []string{
	"*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
	".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml",
	".drone.yml", "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
}

// Options tunes New.
type Options struct {
	// IgnoreFile is the name of the per-directory ignore file; empty means
	// DefaultIgnoreFile.
	IgnoreFile string
}

// Matcher reports whether a path of the tree is excluded.
type Matcher struct {
	m gitignore.Matcher
}

// New walks root once, collecting the patterns of every ignore file found
// (each scoped to its own directory), and returns a Matcher. VCSPatterns
// always apply first; when specIgnore is nil DefaultPatterns follow; when it
// is set it replaces them, and its patterns come last so that they may
// overrule ignore files.
func New(root string, specIgnore *string, opts Options) (Matcher, error) {
	name := opts.IgnoreFile
	if name == "" {
		name = DefaultIgnoreFile
	}
	ps := Parse(strings.Join(VCSPatterns, "\n"), nil)
	if specIgnore == nil {
		ps = append(ps, Parse(strings.Join(DefaultPatterns, "\n"), nil)...)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		var domain []string
		if rel != "." {
			domain = strings.Split(filepath.ToSlash(rel), "/")
			if gitignore.NewMatcher(ps).Match(domain, true) {
				return filepath.SkipDir
			}
		}
		found, err := readFile(filepath.Join(p, name), domain)
		if err != nil {
			return err
		}
		ps = append(ps, found...)
		return nil
	})
	if err != nil {
		return Matcher{}, fmt.Errorf("failed to walk source tree: %w", err)
	}
	if specIgnore != nil {
		ps = append(ps, Parse(*specIgnore, nil)...)
	}
	return Matcher{m: gitignore.NewMatcher(ps)}, nil
}

// Exclude reports whether the entry at p, slash-separated and relative to
// the root given to New, is excluded. It has the shape of
// artifact.ExcludeFunc.
func (m Matcher) Exclude(p string, isDir bool) bool {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" || m.m == nil {
		return false
	}
	return m.m.Match(strings.Split(p, "/"), isDir)
}

// Parse reads gitignore-syntax text into patterns scoped to domain (the
// path elements of the directory they apply to); blank lines and comments
// are skipped.
func Parse(text string, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

func readFile(name string, domain []string) ([]gitignore.Pattern, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open ignore file: %w", err)
	}
	defer f.Close()
	var b strings.Builder
	s := bufio.NewScanner(f)
	for s.Scan() {
		b.WriteString(s.Text())
		b.WriteByte('\n')
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("failed to read ignore file: %w", err)
	}
	return Parse(b.String(), domain), nil
}
