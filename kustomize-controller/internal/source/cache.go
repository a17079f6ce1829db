// Package source downloads the artifacts of sources and shares them: each artifact is fetched,
// verified and extracted once per digest into a cache directory that every Kustomization of
// that revision reads at the same time. Concurrent requests for the same digest wait for the
// one download; directories no Kustomization holds are removed, oldest first, once more than
// a few are kept.
package source

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// DefaultKeep is how many unused artifacts a Cache keeps extracted when Options.Keep is zero.
const DefaultKeep = 8

// Options configure a Cache.
type Options struct {
	// Dir holds the extracted artifacts; it is emptied when the cache is created.
	Dir string
	// HTTPClient downloads the artifacts; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Limits bound each artifact's download and extraction.
	Limits artifact.Limits
	// Keep is how many artifacts no one holds stay extracted for reuse.
	Keep int
}

// Cache shares extracted artifacts by digest. It is safe for concurrent use.
type Cache struct {
	opts    Options
	mu      sync.Mutex
	entries map[string]*entry
	idle    *list.List // of *entry with no holder, least recently released first
	fetches int
}

// entry is one artifact, being fetched or extracted.
type entry struct {
	digest string
	dir    string
	ready  chan struct{} // closed once the fetch ended
	err    error
	holds  int
	idle   *list.Element
}

// Handle is a held artifact: its directory stays until Release.
type Handle struct {
	// Dir is the root of the extracted artifact. It must only be read.
	Dir string

	once    sync.Once
	release func()
}

// Release lets the cache remove the artifact once it is no longer needed. It may be called
// more than once.
func (h *Handle) Release() { h.once.Do(h.release) }

// New creates a cache in opts.Dir, removing what a previous process left there.
func New(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		return nil, errors.New("failed to create the artifact cache: no directory given")
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if err := os.RemoveAll(opts.Dir); err != nil {
		return nil, fmt.Errorf("failed to empty the artifact cache: %w", err)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the artifact cache: %w", err)
	}
	return &Cache{opts: opts, entries: map[string]*entry{}, idle: list.New()}, nil
}

// Fetches returns how many downloads the cache started.
func (c *Cache) Fetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// Acquire returns the extracted artifact, downloading and verifying it unless its digest is
// already in the cache or being fetched; in that case it waits for that fetch. The caller
// must Release the handle when done reading.
func (c *Cache) Acquire(ctx context.Context, a *fluxmeta.Artifact) (*Handle, error) {
	d, err := artifact.ParseDigest(a.Digest)
	if err != nil {
		return nil, fmt.Errorf("failed to read the digest of artifact %s: %w", a.Revision, err)
	}
	for {
		e, owner := c.hold(d.String())
		if owner {
			c.fetch(ctx, e, a)
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(e)
			return nil, fmt.Errorf("failed to fetch artifact %s: %w", a.Revision, ctx.Err())
		}
		if e.err == nil {
			return &Handle{Dir: e.dir, release: func() { c.release(e) }}, nil
		}
		c.release(e)
		// Another caller's cancelled fetch is not ours to report: try again.
		if owner || !errors.Is(e.err, context.Canceled) || ctx.Err() != nil {
			return nil, e.err
		}
	}
}

// hold returns the entry of digest with one more holder, creating it when missing; owner is
// true when the caller must fetch it.
func (c *Cache) hold(digest string) (e *entry, owner bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[digest]; ok {
		e.holds++
		if e.idle != nil {
			c.idle.Remove(e.idle)
			e.idle = nil
		}
		return e, false
	}
	hex := strings.TrimPrefix(digest, "sha256:")
	e = &entry{digest: digest, dir: filepath.Join(c.opts.Dir, hex), ready: make(chan struct{}), holds: 1}
	c.entries[digest] = e
	c.fetches++
	return e, true
}

// fetch downloads and extracts the artifact into a temporary directory renamed into place,
// so a directory under its final name is always complete.
func (c *Cache) fetch(ctx context.Context, e *entry, a *fluxmeta.Artifact) {
	defer close(e.ready)
	tmp, err := os.MkdirTemp(c.opts.Dir, ".fetch-")
	if err == nil {
		err = artifact.Fetch(ctx, c.opts.HTTPClient, a.URL, e.digest, a.Size, tmp, c.opts.Limits)
		if err == nil {
			err = os.Rename(tmp, e.dir)
		}
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}
	if err != nil {
		e.err = fmt.Errorf("failed to fetch artifact %s: %w", a.Revision, err)
		c.mu.Lock()
		delete(c.entries, e.digest)
		c.mu.Unlock()
	}
}

// release drops one holder; an unheld artifact joins the idle list, and the oldest idle ones
// beyond Keep are removed.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	e.holds--
	var trash []string
	if e.holds == 0 && e.err == nil && c.entries[e.digest] == e {
		e.idle = c.idle.PushBack(e)
		for c.idle.Len() > c.opts.Keep {
			old := c.idle.Remove(c.idle.Front()).(*entry)
			old.idle = nil
			delete(c.entries, old.digest)
			// Renamed under the lock, so a new fetch of the same digest never meets it.
			if t, err := os.MkdirTemp(c.opts.Dir, ".evict-"); err == nil && os.Rename(old.dir, filepath.Join(t, "a")) == nil {
				trash = append(trash, t)
			} else {
				_ = os.RemoveAll(old.dir)
				if err == nil {
					trash = append(trash, t)
				}
			}
		}
	}
	c.mu.Unlock()
	for _, t := range trash {
		_ = os.RemoveAll(t)
	}
}
