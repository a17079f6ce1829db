// Package chart loads, changes and packages Helm charts for HelmChart artifacts: charts in a
// directory of a Git or Bucket artifact (with their dependencies), or packaged charts pulled
// from a repository; values files merged into values.yaml; build metadata on the version.
package chart

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// DependencyFetcher returns the newest chart named name whose version matches versionRange
// from the chart repository at repoURL (http, https or oci).
type DependencyFetcher func(ctx context.Context, repoURL, name, versionRange string) (*helmchart.Chart, error)

// LoadOptions bound and complete the loading of a chart directory.
type LoadOptions struct {
	// MaxFileSize is the largest file of the chart, in bytes; zero means no check.
	MaxFileSize int64
	// Fetch resolves dependencies from remote repositories; nil refuses them.
	Fetch DependencyFetcher
}

// LoadDir loads the chart at the slash-separated chartPath below root, which must stay inside
// root, and adds the dependencies that Chart.yaml declares and charts/ does not hold: local
// ones (file://, inside root) and, through opts.Fetch, remote ones.
func LoadDir(ctx context.Context, root, chartPath string, opts LoadOptions) (*helmchart.Chart, error) {
	dir, err := securejoin.SecureJoin(root, chartPath)
	if err != nil {
		return nil, fmt.Errorf("invalid chart path %q: %w", chartPath, err)
	}
	return loadDir(ctx, root, dir, opts, 0)
}

// maxDepth bounds chains of local dependencies.
const maxDepth = 10

func loadDir(ctx context.Context, root, dir string, opts LoadOptions, depth int) (*helmchart.Chart, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("local dependencies nest deeper than %d charts", maxDepth)
	}
	rel, _ := filepath.Rel(root, dir)
	if fi, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("no chart found at path %q: it holds no Chart.yaml", filepath.ToSlash(rel))
	}
	if err := checkFileSizes(dir, opts.MaxFileSize); err != nil {
		return nil, err
	}
	c, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to load chart at path %q: %w", filepath.ToSlash(rel), err)
	}
	if err := addMissingDependencies(ctx, root, dir, c, opts, depth); err != nil {
		return nil, fmt.Errorf("failed to build dependencies of chart %q: %w", c.Name(), err)
	}
	return c, nil
}

// addMissingDependencies loads every declared dependency that charts/ does not hold.
func addMissingDependencies(ctx context.Context, root, dir string, c *helmchart.Chart, opts LoadOptions, depth int) error {
	present := map[string]bool{}
	for _, d := range c.Dependencies() {
		present[d.Name()] = true
	}
	for _, dep := range c.Metadata.Dependencies {
		if present[dep.Name] {
			continue
		}
		var sub *helmchart.Chart
		var err error
		switch repo := dep.Repository; {
		case strings.HasPrefix(repo, "file://"):
			sub, err = loadLocalDependency(ctx, root, dir, strings.TrimPrefix(repo, "file://"), opts, depth)
		case strings.HasPrefix(repo, "http://"), strings.HasPrefix(repo, "https://"), strings.HasPrefix(repo, "oci://"):
			if opts.Fetch == nil {
				return fmt.Errorf("dependency %q: remote repositories are not available", dep.Name)
			}
			sub, err = opts.Fetch(ctx, repo, dep.Name, dep.Version)
		case repo == "":
			return fmt.Errorf("dependency %q has no repository and is not in charts/", dep.Name)
		default:
			return fmt.Errorf("dependency %q: repository %q is not supported: use an http(s)://, oci:// or file:// URL", dep.Name, repo)
		}
		if err != nil {
			return fmt.Errorf("dependency %q: %w", dep.Name, err)
		}
		if sub.Name() != dep.Name {
			return fmt.Errorf("dependency %q: the chart found is named %q", dep.Name, sub.Name())
		}
		c.AddDependency(sub)
		present[dep.Name] = true
	}
	return nil
}

// loadLocalDependency loads a file:// dependency, which must stay inside root.
func loadLocalDependency(ctx context.Context, root, dir, path string, opts LoadOptions, depth int) (*helmchart.Chart, error) {
	target := path
	if !filepath.IsAbs(path) {
		target = filepath.Join(dir, path)
	}
	rel, err := filepath.Rel(root, filepath.Clean(target))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("local path %q leaves the source artifact", path)
	}
	resolved, err := securejoin.SecureJoin(root, rel)
	if err != nil {
		return nil, fmt.Errorf("invalid local path %q: %w", path, err)
	}
	return loadDir(ctx, root, resolved, opts, depth+1)
}

// checkFileSizes refuses a chart directory holding a file larger than limit.
func checkFileSizes(dir string, limit int64) error {
	if limit <= 0 {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > limit {
			rel, _ := filepath.Rel(dir, p)
			return fmt.Errorf("chart file %q is %d bytes, over the limit of %d bytes", filepath.ToSlash(rel), fi.Size(), limit)
		}
		return nil
	})
}

// LoadArchive loads the packaged chart at path.
func LoadArchive(path string) (*helmchart.Chart, error) {
	c, err := loader.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to load packaged chart: %w", err)
	}
	return c, nil
}
