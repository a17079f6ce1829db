package artifact

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
)

// StatusError reports that the artifact server answered a download with a
// status other than 2xx. A 404 usually means that the artifact was garbage
// collected after a newer revision was stored.
type StatusError struct {
	// URL is the artifact URL, without credentials or query.
	URL string
	// StatusCode is the HTTP status code of the answer.
	StatusCode int
}

// Error returns a message naming the URL and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("failed to download artifact from %s: server answered %d %s",
		e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Fetch downloads the artifact at rawURL with client (http.DefaultClient if
// nil), verifies it and extracts it into destDir with Extract.
//
// expectedDigest ("sha256:<hex>") is required; expectedSize is checked when
// not nil. The download is streamed through a hasher into a temporary file
// in os.TempDir and is extracted only once its size and digest are
// verified; the temporary file is always removed. Downloads larger than
// limits.MaxDownloadSize are cut short. Cancelling ctx stops the download
// and the extraction.
//
// Errors match ErrDigestMismatch for a wrong digest or size, and
// ErrLimitExceeded or ErrUnsafeEntry for artifacts that Extract refuses; a
// non-2xx answer is a *StatusError. On error destDir may hold part of the
// artifact; callers remove it.
func Fetch(ctx context.Context, client *http.Client, rawURL, expectedDigest string,
	expectedSize *int64, destDir string, limits Limits) error {
	limits = limits.withDefaults()
	want, err := ParseDigest(expectedDigest)
	if err != nil {
		return fmt.Errorf("failed to parse expected artifact digest: %w", err)
	}
	if expectedSize != nil && *expectedSize > limits.MaxDownloadSize {
		return limitf("artifact of %d bytes exceeds the download size limit of %d bytes",
			*expectedSize, limits.MaxDownloadSize)
	}

	tmp, err := os.CreateTemp("", "ferry-artifact-*.tar.gz")
	if err != nil {
		return fmt.Errorf("failed to create temporary artifact file: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()

	actual, n, err := download(ctx, client, rawURL, tmp, limits.MaxDownloadSize)
	if err != nil {
		return err
	}
	if expectedSize != nil && n != *expectedSize {
		return classErrorf(ErrDigestMismatch, "artifact size mismatch: expected %d bytes, got %d bytes",
			*expectedSize, n)
	}
	if err := checkDigest(want.String(), actual); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("failed to rewind temporary artifact file: %w", err)
	}
	if err := Extract(&ctxReader{ctx: ctx, r: tmp}, destDir, limits); err != nil {
		return fmt.Errorf("failed to extract artifact: %w", err)
	}
	return nil
}

// download writes the body of a GET of rawURL to w and returns its digest
// and size. It reads at most limit bytes.
func download(ctx context.Context, client *http.Client, rawURL string, w io.Writer, limit int64) (string, int64, error) {
	if client == nil {
		client = http.DefaultClient
	}
	shown := redactURL(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", 0, fmt.Errorf("failed to create request for artifact %s: %w", shown, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", 0, fmt.Errorf("failed to download artifact from %s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", 0, &StatusError{URL: shown, StatusCode: resp.StatusCode}
	}
	tooLarge := limitf("artifact exceeds the download size limit of %d bytes", limit)
	if resp.ContentLength > limit {
		return "", 0, tooLarge
	}
	h := sha256.New()
	probe := limit
	if probe < math.MaxInt64 {
		probe++ // one byte more tells a body of exactly limit bytes from a larger one
	}
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, probe))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", n, fmt.Errorf("failed to download artifact from %s: %w", shown, err)
	}
	if n > limit {
		return "", n, tooLarge
	}
	return sha256Digest(h.Sum(nil)), n, nil
}

// redactURL returns rawURL without password, query or fragment, for
// messages.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.Redacted()
}

// ctxReader fails reads once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
