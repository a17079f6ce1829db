package chart

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/singleflight"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// DefaultCacheSize is how many chart artifacts a Loader keeps in memory.
const DefaultCacheSize = 64

// Loader downloads chart artifacts and loads them with Helm's loader. It keeps the files of
// the most recently used artifacts in memory by digest, so that many releases of one chart,
// and every reconcile of an unchanged release, download the artifact once. Each Load returns
// a chart of its own, since Helm's actions modify the charts they are given.
type Loader struct {
	// Client downloads artifacts; nil means http.DefaultClient.
	Client *http.Client
	// Limits bound downloads and extraction; the zero value means artifact's defaults.
	Limits artifact.Limits
	// Size is how many artifacts are cached; zero means DefaultCacheSize.
	Size int

	flight singleflight.Group
	mu     sync.Mutex
	order  *list.List // of digests, most recently used first
	index  map[string]*list.Element
}

type cached struct {
	digest string
	files  []*loader.BufferedFile
}

// Load returns the chart of art, downloading it unless its digest is cached.
func (l *Loader) Load(ctx context.Context, art *fluxmeta.Artifact) (*helmchart.Chart, error) {
	files, err := l.chartFiles(ctx, art)
	if err != nil {
		return nil, err
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("failed to load chart from artifact %s: %w", art.Revision, err)
	}
	return c, nil
}

// chartFiles returns the cached files of art, fetching them once for concurrent callers.
func (l *Loader) chartFiles(ctx context.Context, art *fluxmeta.Artifact) ([]*loader.BufferedFile, error) {
	if files := l.lookup(art.Digest); files != nil {
		return files, nil
	}
	v, err, _ := l.flight.Do(art.Digest, func() (any, error) {
		files, err := l.fetch(ctx, art)
		if err != nil {
			return nil, err
		}
		l.store(art.Digest, files)
		return files, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]*loader.BufferedFile), nil
}

// fetch downloads and verifies art and reads the chart's files.
func (l *Loader) fetch(ctx context.Context, art *fluxmeta.Artifact) ([]*loader.BufferedFile, error) {
	dir, err := os.MkdirTemp("", "ferry-chart-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := artifact.Fetch(ctx, l.Client, art.URL, art.Digest, art.Size, dir, l.Limits); err != nil {
		return nil, fmt.Errorf("failed to fetch chart artifact %s: %w", art.Revision, err)
	}
	root, err := chartRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to find the chart in artifact %s: %w", art.Revision, err)
	}
	return readFiles(root)
}

// chartRoot returns dir when it holds Chart.yaml, or its only subdirectory holding one, as
// packaged charts have their files under '<chart name>/'.
func chartRoot(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return dir, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 1 {
		if _, err := os.Stat(filepath.Join(dir, dirs[0], "Chart.yaml")); err == nil {
			return filepath.Join(dir, dirs[0]), nil
		}
	}
	return "", errors.New("no Chart.yaml at the root or in a single top directory")
}

// readFiles reads every regular file under root, named by its slash-separated relative path.
func readFiles(root string) ([]*loader.BufferedFile, error) {
	var files []*loader.BufferedFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the chart files: %w", err)
	}
	return files, nil
}

func (l *Loader) lookup(digest string) []*loader.BufferedFile {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.index[digest]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*cached).files
	}
	return nil
}

func (l *Loader) store(digest string, files []*loader.BufferedFile) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.index == nil {
		l.index, l.order = map[string]*list.Element{}, list.New()
	}
	if _, ok := l.index[digest]; ok {
		return
	}
	l.index[digest] = l.order.PushFront(&cached{digest: digest, files: files})
	size := l.Size
	if size <= 0 {
		size = DefaultCacheSize
	}
	for l.order.Len() > size {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.index, last.Value.(*cached).digest)
	}
}
