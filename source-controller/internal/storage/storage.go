package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// DefaultRetention is how many artifacts GarbageCollect keeps per object
// when Config.Retention is not set.
const DefaultRetention = 2

// Config configures a Storage.
type Config struct {
	// Path is the root directory of the storage; it is created if missing.
	Path string
	// AdvertisedAddr is the hostname[:port] at which other controllers
	// reach the artifact server; artifact URLs are http://<AdvertisedAddr>/<path>.
	AdvertisedAddr string
	// Retention is how many artifacts GarbageCollect keeps per object; zero
	// or less means DefaultRetention.
	Retention int
}

// Storage stores artifacts below a root directory and builds their URLs.
// It is safe for concurrent use.
type Storage struct {
	dir       string
	root      *os.Root
	advAddr   string
	retention int
	locks     locks
	now       func() time.Time
}

// New returns a Storage rooted at cfg.Path, creating the directory if
// needed. Artifacts stored by an earlier Storage on the same path are found
// again. Close releases the root directory.
func New(cfg Config) (*Storage, error) {
	if cfg.Path == "" {
		return nil, errors.New("failed to create storage: the storage path is empty")
	}
	if err := checkAdvertisedAddr(cfg.AdvertisedAddr); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve storage path: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create storage directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to open storage directory: %w", err)
	}
	retention := cfg.Retention
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Storage{dir: dir, root: root, advAddr: cfg.AdvertisedAddr, retention: retention, now: time.Now}, nil
}

// checkAdvertisedAddr accepts hostname[:port] and nothing else.
func checkAdvertisedAddr(addr string) error {
	u, err := url.Parse("http://" + addr)
	if addr == "" || err != nil || u.Host != addr || u.Hostname() == "" {
		return fmt.Errorf("failed to create storage: invalid advertised address %q: expected hostname[:port]", addr)
	}
	if _, port, err := net.SplitHostPort(addr); err == nil && port == "" {
		return fmt.Errorf("failed to create storage: invalid advertised address %q: empty port", addr)
	}
	return nil
}

// Close releases the storage's root directory. The files stay.
func (s *Storage) Close() error {
	return s.root.Close()
}

// Path returns the absolute root directory of the storage.
func (s *Storage) Path() string {
	return s.dir
}

// Lock waits until the caller holds the lock of one object's artifacts,
// or ctx ends, and returns the function that releases it. Calling the
// release function more than once is harmless.
func (s *Storage) Lock(ctx context.Context, kind, namespace, name string) (func(), error) {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	return s.locks.acquire(ctx, rel)
}

// URL returns the URL at which the artifact at the storage-relative path
// rel is served.
func (s *Storage) URL(rel string) string {
	u := url.URL{Scheme: "http", Host: s.advAddr, Path: "/" + strings.TrimPrefix(rel, "/")}
	return u.String()
}

// objectPath returns the slash-separated directory, relative to the root,
// of one object's artifacts: <lowercase kind>/<namespace>/<name>.
func objectPath(kind, namespace, name string) (string, error) {
	for _, part := range []struct{ what, v string }{{"kind", kind}, {"namespace", namespace}, {"name", name}} {
		if err := checkComponent(part.v); err != nil {
			return "", fmt.Errorf("failed to locate artifacts: invalid %s %q: %w", part.what, part.v, err)
		}
	}
	return path.Join(strings.ToLower(kind), namespace, name), nil
}

// checkComponent accepts a string that is one plain path element.
func checkComponent(v string) error {
	switch {
	case v == "":
		return errors.New("it is empty")
	case v == "." || v == "..":
		return errors.New("it is a relative path element")
	case strings.HasPrefix(v, "."):
		return errors.New("it starts with a dot")
	case strings.ContainsAny(v, "/\\\x00"):
		return errors.New("it holds a path separator or NUL byte")
	case len(v) > 253:
		return errors.New("it is longer than 253 bytes")
	}
	return nil
}

// newArtifact returns the artifact record of the file at rel.
func (s *Storage) newArtifact(rel, revision, digest string, size int64, metadata map[string]string) fluxmeta.Artifact {
	a := fluxmeta.Artifact{
		Path:           rel,
		URL:            s.URL(rel),
		Revision:       revision,
		Digest:         digest,
		LastUpdateTime: metav1.NewTime(s.now().UTC().Truncate(time.Second)),
		Size:           &size,
	}
	if len(metadata) > 0 {
		a.Metadata = maps.Clone(metadata)
	}
	return a
}
