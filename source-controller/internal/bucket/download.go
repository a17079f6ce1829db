package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
)

// DefaultConcurrency is how many objects Download fetches at once when none is given.
const DefaultConcurrency = 8

// Stats tell what Download did.
type Stats struct {
	// Fetched is how many objects were downloaded.
	Fetched int
	// Reused is how many files already in the directory were kept.
	Reused int
	// Removed is how many files not in the index were removed.
	Removed int
}

// Download makes dir hold exactly the objects of want, each at its key's path. dir may
// already hold the files of an earlier download described by have (for instance an
// extracted previous artifact): those whose key has the same ETag in want are kept, every
// other object of want is fetched, at most concurrency at a time (DefaultConcurrency when
// zero or less), and files not in want are removed. have may be nil.
func (c *Client) Download(ctx context.Context, bucket, dir string, want, have Index, concurrency int) (Stats, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("failed to open download directory: %w", err)
	}
	defer root.Close()
	removed, err := prune(root, want)
	if err != nil {
		return Stats{}, err
	}
	var todo []string
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if etag, ok := have[key]; ok && etag == want[key] && isRegular(root, key) {
			continue
		}
		todo = append(todo, key)
	}
	if err := c.fetchAll(ctx, root, bucket, todo, concurrency); err != nil {
		return Stats{}, err
	}
	return Stats{Fetched: len(todo), Reused: len(want) - len(todo), Removed: removed}, nil
}

// fetchAll downloads keys with at most concurrency workers and returns the first error,
// after cancelling the rest.
func (c *Client) fetchAll(ctx context.Context, root *os.Root, bucket string, keys []string, concurrency int) error {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	errs := make([]error, concurrency)
	var wg sync.WaitGroup
	for i := range min(concurrency, len(keys)) {
		wg.Go(func() {
			for key := range work {
				if errs[i] != nil {
					continue
				}
				if errs[i] = c.fetch(ctx, root, bucket, key); errs[i] != nil {
					cancel()
				}
			}
		})
	}
feed:
	for _, key := range keys {
		select {
		case work <- key:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := firstError(errs); err != nil {
		return err
	}
	return ctx.Err()
}

// firstError returns the first error that is not a mere consequence of cancellation, or
// the first error.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// fetch downloads one object to its key's path below root, through a temporary file.
func (c *Client) fetch(ctx context.Context, root *os.Root, bucket, key string) error {
	obj, err := c.store.Get(ctx, bucket, key)
	if err != nil {
		return fmt.Errorf("failed to get object '%s' of bucket '%s': %w", key, bucket, err)
	}
	defer obj.Close()
	if dir := path.Dir(key); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("failed to create directory for object '%s': %w", key, err)
		}
	}
	tmp := path.Join(path.Dir(key), ".download-"+path.Base(key))
	f, err := root.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("failed to create file for object '%s': %w", key, err)
	}
	_, err = io.Copy(f, obj)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("failed to download object '%s' of bucket '%s': %w", key, bucket, err)
	}
	if err := root.Rename(tmp, key); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("failed to store object '%s': %w", key, err)
	}
	return nil
}

// prune removes every file below root whose path is not a key of want, and the
// directories left empty, and returns how many files it removed.
func prune(root *os.Root, want Index) (int, error) {
	removed := 0
	var dirs []string
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			if p != "." {
				dirs = append(dirs, p)
			}
			return nil
		}
		if _, ok := want[p]; ok && d.Type().IsRegular() {
			return nil
		}
		removed++
		return root.Remove(p)
	})
	if err != nil {
		return 0, fmt.Errorf("failed to clean download directory: %w", err)
	}
	for _, d := range slices.Backward(dirs) {
		_ = root.Remove(d) // fails, as it should, on a directory that is not empty
	}
	return removed, nil
}

// isRegular reports whether name is a regular file below root.
func isRegular(root *os.Root, name string) bool {
	info, err := root.Lstat(filepath.FromSlash(name))
	return err == nil && info.Mode().IsRegular()
}
