package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ferry-gitops/ferry/shared/artifact"
)

// shutdownTimeout bounds how long Serve waits for downloads in flight once
// its context ends.
const shutdownTimeout = 30 * time.Second

// contentTypes maps artifact file extensions to the Content-Type served.
var contentTypes = []struct{ ext, typ string }{
	{".tar.gz", "application/gzip"},
	{".tgz", "application/gzip"},
	{".gz", "application/gzip"},
	{".yaml", "application/yaml"},
	{".yml", "application/yaml"},
	{".json", "application/json"},
}

// Handler returns an http.Handler that serves the storage's artifact files
// read-only: GET and HEAD only, regular files only, no directory listings,
// no hidden (temporary) files. Paths that are not clean and local to the
// storage root are answered 400; files are opened through the root, so
// that nothing outside it can be served even by a symbolic link.
func (s *Storage) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Storage) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/")
	if !ok || !fs.ValidPath(p) || strings.Contains(p, "\\") {
		http.Error(w, "bad artifact path", http.StatusBadRequest)
		return
	}
	rel, err := filePath(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f, err := s.root.Open(rel)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(rel))
	h.Set("X-Content-Type-Options", "nosniff")
	if tag := etag(rel); tag != "" {
		h.Set("ETag", tag)
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// contentType returns the Content-Type of the artifact file name.
func contentType(name string) string {
	for _, c := range contentTypes {
		if strings.HasSuffix(name, c.ext) {
			return c.typ
		}
	}
	return "application/octet-stream"
}

// etag returns the entity tag of a content-addressed file, named after its
// SHA-256 digest, or "" for any other file.
func etag(name string) string {
	base := path.Base(name)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if _, err := artifact.ParseDigest(artifact.AlgorithmSHA256 + ":" + base); err != nil {
		return ""
	}
	return `"` + base + `"`
}

// Serve listens on addr and serves Handler until ctx ends, then shuts the
// server down gracefully, letting downloads in flight finish for up to 30
// seconds. It returns nil after a shutdown caused by ctx.
func (s *Storage) Serve(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", addr, err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener serves Handler on ln like Serve does, and closes ln.
func (s *Storage) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("failed to serve artifacts: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("failed to shut down artifact server: %w", err)
	}
	return nil
}
