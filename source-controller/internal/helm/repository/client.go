package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrUnauthorized is matched (with errors.Is) by errors reporting that the repository refused
// the credentials (HTTP 401 or 403).
var ErrUnauthorized = errors.New("the repository refused the credentials")

// ErrTooLarge is matched (with errors.Is) by errors reporting a download over its size limit.
var ErrTooLarge = errors.New("larger than the size limit")

// Client reaches one repository. Close releases its connections.
type Client struct {
	base *url.URL
	opts Options
	http *http.Client
	tr   *http.Transport
}

// NewClient returns a client of the repository at repoURL, which must be http or https.
func NewClient(repoURL string, opts Options) (*Client, error) {
	u, err := ParseURL(repoURL)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = opts.TLS
	return &Client{base: u, opts: opts, tr: tr, http: &http.Client{Transport: tr, Timeout: opts.Timeout}}, nil
}

// ParseURL checks that repoURL is an http or https URL with a host.
func ParseURL(repoURL string) (*url.URL, error) {
	u, err := url.Parse(repoURL)
	if err != nil {
		return nil, fmt.Errorf("invalid repository URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid repository URL %q: expected http:// or https:// and a host", u.Redacted())
	}
	return u, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// IndexURL is the URL of the repository's index.yaml.
func (c *Client) IndexURL() string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/index.yaml"
	u.RawPath = ""
	return u.String()
}

// FetchIndex downloads index.yaml into w, reading at most maxSize bytes, and returns its
// SHA-256 digest ("sha256:<hex>") and size.
func (c *Client) FetchIndex(ctx context.Context, w io.Writer, maxSize int64) (string, int64, error) {
	h := sha256.New()
	n, err := c.get(ctx, c.IndexURL(), true, io.MultiWriter(w, h), maxSize)
	if err != nil {
		return "", n, fmt.Errorf("failed to fetch index: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}

// FetchChart downloads the packaged chart at chartURL (absolute, or relative to the repository
// URL) into w, reading at most maxSize bytes. Credentials go to another host only with
// PassCredentials.
func (c *Client) FetchChart(ctx context.Context, chartURL string, w io.Writer, maxSize int64) (int64, error) {
	u, err := c.ResolveURL(chartURL)
	if err != nil {
		return 0, err
	}
	sameHost := u.Host == c.base.Host && u.Scheme == c.base.Scheme
	n, err := c.get(ctx, u.String(), sameHost || c.opts.PassCredentials, w, maxSize)
	if err != nil {
		return n, fmt.Errorf("failed to download chart: %w", err)
	}
	return n, nil
}

// ResolveURL resolves a chart URL from the index against the repository URL.
func (c *Client) ResolveURL(chartURL string) (*url.URL, error) {
	ref, err := url.Parse(chartURL)
	if err != nil {
		return nil, fmt.Errorf("invalid chart URL in the index: %w", err)
	}
	base := *c.base
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid chart URL %q in the index: expected http:// or https://", u.Redacted())
	}
	return u, nil
}

// get copies the body of a GET of rawURL to w, at most limit bytes.
func (c *Client) get(ctx context.Context, rawURL string, withAuth bool, w io.Writer, limit int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "ferry-source-controller")
	if withAuth && c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	shown := redact(req.URL)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fmt.Errorf("GET %s: %s: %w", shown, resp.Status, ErrUnauthorized)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return 0, fmt.Errorf("GET %s: %s", shown, resp.Status)
	case limit > 0 && resp.ContentLength > limit:
		return 0, fmt.Errorf("GET %s: %d bytes is %w of %d bytes", shown, resp.ContentLength, ErrTooLarge, limit)
	}
	body := io.Reader(resp.Body)
	if limit > 0 {
		body = io.LimitReader(resp.Body, limit+1)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return n, fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
	}
	if limit > 0 && n > limit {
		return n, fmt.Errorf("GET %s: the response is %w of %d bytes", shown, ErrTooLarge, limit)
	}
	return n, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact returns u without password, query or fragment, for messages.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.RawFragment = "", "", ""
	return c.Redacted()
}
