// Package artifactserver serves artifacts over HTTP on 127.0.0.1 the way the source-controller
// does, for the tests of the controllers that consume them: a test packs a directory (or
// publishes a file such as a packaged chart) and puts the returned fluxmeta.Artifact into a source
// object's status.
package artifactserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// Server is an artifact server; it is safe for concurrent use.
type Server struct {
	dir       string
	srv       *httptest.Server
	downloads atomic.Int64
}

// New starts a server on 127.0.0.1 serving files from a new temporary directory. The caller
// must call Close.
func New() (*Server, error) {
	dir, err := os.MkdirTemp("", "ferry-artifacts-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the artifact directory: %w", err)
	}
	s := &Server{dir: dir}
	files := http.FileServer(http.Dir(dir))
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.downloads.Add(1)
		files.ServeHTTP(w, r)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	s.srv.Listener = ln
	s.srv.Start()
	return s, nil
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.srv.Close()
	_ = os.RemoveAll(s.dir)
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Downloads is how many requests the server has answered.
func (s *Server) Downloads() int64 { return s.downloads.Load() }

// ArtifactFromDir packs srcDir into name.tar.gz (name may contain slashes) and returns the
// artifact with the given revision.
func (s *Server) ArtifactFromDir(name, srcDir, revision string) (fluxmeta.Artifact, error) {
	rel := name + ".tar.gz"
	dest, err := s.dest(rel)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	digest, size, err := artifact.Build(context.Background(), srcDir, dest, nil)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	return s.record(rel, revision, digest, size), nil
}

// ArtifactFromFiles writes files (slash-separated path → content) into a temporary
// directory and packs it like ArtifactFromDir.
func (s *Server) ArtifactFromFiles(name string, files map[string]string, revision string) (fluxmeta.Artifact, error) {
	src, err := os.MkdirTemp("", "ferry-artifact-src-")
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to create a source directory: %w", err)
	}
	defer os.RemoveAll(src)
	for p, content := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fluxmeta.Artifact{}, err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return fluxmeta.Artifact{}, err
		}
	}
	return s.ArtifactFromDir(name, src, revision)
}

// ArtifactFromFile publishes the file at srcPath as name (kept as is, not packed), as the
// source-controller serves packaged charts and Helm indexes.
func (s *Server) ArtifactFromFile(name, srcPath, revision string) (fluxmeta.Artifact, error) {
	data, err := os.ReadFile(srcPath)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to read %s: %w", srcPath, err)
	}
	dest, err := s.dest(name)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	if err := os.WriteFile(dest, data, 0o644); err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to publish %s: %w", name, err)
	}
	digest, size, err := artifact.DigestFile(dest)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	return s.record(name, revision, digest, size), nil
}

// Remove deletes a published artifact, as when its file vanished from the server.
func (s *Server) Remove(name string) error {
	return os.Remove(filepath.Join(s.dir, filepath.FromSlash(name)))
}

func (s *Server) dest(rel string) (string, error) {
	full := filepath.Join(s.dir, filepath.FromSlash(path.Clean("/"+rel)))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return "", fmt.Errorf("failed to create the artifact directory: %w", err)
	}
	return full, nil
}

func (s *Server) record(rel, revision, digest string, size int64) fluxmeta.Artifact {
	return fluxmeta.Artifact{
		Path:           rel,
		URL:            s.srv.URL + "/" + rel,
		Revision:       revision,
		Digest:         digest,
		Size:           &size,
		LastUpdateTime: metav1.NewTime(time.Now().UTC().Truncate(time.Second)),
	}
}
