package bucket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/ferry-gitops/ferry/source-controller/internal/ignore"
)

// IgnoreKey is the key of the object, at the root of the bucket, whose gitignore-syntax
// patterns leave objects out; it is never part of the index itself.
const IgnoreKey = ignore.DefaultIgnoreFile

// maxIgnoreFileSize bounds the ignore object read into memory.
const maxIgnoreFileSize = 1 << 20

// Index maps the key of every selected object to its ETag.
type Index map[string]string

// Revision returns "sha256:<hex>", the SHA-256 digest of the index written as one line per
// object, sorted by key (byte order):
//
//	<key> <etag>\n
//
// where etag is the ETag without quotes. Keys hold no control characters (List skips
// such keys), so every line reads back unambiguously. The same objects with the same content always give
// the same revision; any added, removed or rewritten object changes it.
func (idx Index) Revision() string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(idx)) {
		_, _ = io.WriteString(h, k+" "+idx[k]+"\n")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Listing is the outcome of List.
type Listing struct {
	// Index holds the selected objects.
	Index Index
	// Unsafe are keys skipped because they cannot be a relative file path (empty elements,
	// "." or "..", a leading slash, a backslash or a control character), sorted.
	Unsafe []string
}

// List lists the objects of bucket whose keys start with prefix, leaves out directory
// markers (keys ending in "/"), IgnoreKey and the keys that the patterns of IgnoreKey (when
// the bucket has one) and then specIgnore (when set; it wins) exclude, and returns the
// remaining keys with their ETags. Keys keep the prefix.
func (c *Client) List(ctx context.Context, bucket, prefix string, specIgnore *string) (Listing, error) {
	patterns, err := c.ignorePatterns(ctx, bucket)
	if err != nil {
		return Listing{}, err
	}
	if specIgnore != nil {
		patterns = append(patterns, ignore.Parse(*specIgnore, nil)...)
	}
	matcher := gitignore.NewMatcher(patterns)
	out := Listing{Index: Index{}}
	err = c.store.List(ctx, bucket, prefix, func(obj Object) error {
		key := obj.Key
		switch {
		case strings.HasSuffix(key, "/") || key == IgnoreKey:
		case !safeKey(key):
			out.Unsafe = append(out.Unsafe, key)
		case !matcher.Match(strings.Split(key, "/"), false):
			out.Index[key] = strings.Trim(obj.ETag, `"`)
		}
		return nil
	})
	if err != nil {
		return Listing{}, fmt.Errorf("failed to list objects of bucket '%s': %w", bucket, err)
	}
	slices.Sort(out.Unsafe)
	return out, nil
}

// ignorePatterns reads IgnoreKey from the bucket's root; a missing object gives none.
func (c *Client) ignorePatterns(ctx context.Context, bucket string) ([]gitignore.Pattern, error) {
	data, err := func() ([]byte, error) {
		obj, err := c.store.Get(ctx, bucket, IgnoreKey)
		if err != nil {
			return nil, err
		}
		defer obj.Close()
		return io.ReadAll(io.LimitReader(obj, maxIgnoreFileSize+1))
	}()
	switch {
	case errors.Is(err, ErrObjectNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("failed to read '%s' of bucket '%s': %w", IgnoreKey, bucket, err)
	case len(data) > maxIgnoreFileSize:
		return nil, fmt.Errorf("failed to read '%s' of bucket '%s': larger than %d bytes", IgnoreKey, bucket, maxIgnoreFileSize)
	}
	return ignore.Parse(string(data), nil), nil
}

// safeKey reports whether key can be used as a file path below the download directory:
// slash-separated elements, none empty, "." or "..", no leading slash, no backslash and no
// control character.
func safeKey(key string) bool {
	return fs.ValidPath(key) && key != "." && !strings.ContainsFunc(key, func(r rune) bool {
		return r == '\\' || unicode.IsControl(r)
	})
}
