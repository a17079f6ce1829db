// Package helmrepo serves a Helm chart repository over HTTP(S) on 127.0.0.1 for tests: a plain
// file server with an index.yaml, optional basic auth and TLS, and helpers that package test
// charts from directories or files and regenerate the index.
package helmrepo

import (
	"crypto/subtle"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Options configure a Server.
type Options struct {
	// Username and Password, when set, are required as basic auth on every request.
	Username, Password string
	// TLS serves HTTPS with a self-signed certificate for 127.0.0.1 (see Server.CAPEM).
	TLS bool
}

// Server is a chart repository; it is safe for concurrent use.
type Server struct {
	dir      string
	srv      *httptest.Server
	opts     Options
	requests atomic.Int64
	served   pathCounter
}

// New starts a repository on 127.0.0.1 serving a new temporary directory. The caller must call
// Close.
func New(opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "ferry-helmrepo-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the repository directory: %w", err)
	}
	s := &Server{dir: dir, opts: opts, served: newPathCounter()}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	s.srv.Listener = ln
	if opts.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	return s, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.opts.Username != "" || s.opts.Password != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="helm"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	s.served.add(r.URL.Path)
	http.FileServer(http.Dir(s.dir)).ServeHTTP(w, r)
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.srv.Close()
	_ = os.RemoveAll(s.dir)
}

// URL is the repository URL (http:// or https://127.0.0.1:<port>), without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// Dir is the directory served; index.yaml and the packaged charts live at its top.
func (s *Server) Dir() string { return s.dir }

// Requests is how many requests the server has received (authorized or not).
func (s *Server) Requests() int64 { return s.requests.Load() }

// Served is how many authorized requests asked for path (such as "/index.yaml").
func (s *Server) Served(path string) int64 { return s.served.get(path) }

// CAPEM is the PEM certificate clients must trust to reach a TLS server, or nil without TLS.
func (s *Server) CAPEM() []byte {
	if !s.opts.TLS {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// WriteIndex replaces index.yaml with data, as for a corrupt or hand-written index.
func (s *Server) WriteIndex(data []byte) error {
	if err := os.WriteFile(filepath.Join(s.dir, "index.yaml"), data, 0o644); err != nil {
		return fmt.Errorf("failed to write index.yaml: %w", err)
	}
	return nil
}
