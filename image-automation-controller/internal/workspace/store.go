// Package workspace keeps one Git clone per ImageUpdateAutomation between runs, so that a run
// fetches only what is new instead of cloning the repository again. A clone is bare: files
// are read from and written to Git objects directly (Rewrite), never checked out, so nothing
// on disk is ever half-written, and a commit is built on the fetched head and pushed with
// go-git. Errors a user reads say what the remote refused, without credentials.
package workspace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// remoteName is the name of the one remote of a clone.
const remoteName = "origin"

// objectCache bounds the objects a clone keeps decoded in memory during one run.
const objectCache = 4 * cache.MiByte

// Store holds the clones, one directory each, below a directory.
type Store struct {
	dir string
}

// NewStore returns the store of clones below dir, creating it.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the workspace directory: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Repo is one kept clone, open for one run.
type Repo struct {
	url  string
	repo *gogit.Repository
}

// Open opens the clone kept under key for the repository at url, creating it empty when
// there is none, or when the one there points at another URL.
func (s *Store) Open(key, url string) (*Repo, error) {
	dir, err := s.path(key)
	if err != nil {
		return nil, err
	}
	storage := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(objectCache))
	repo, err := gogit.Open(storage, nil)
	if err == nil {
		if remote, rerr := repo.Remote(remoteName); rerr == nil && len(remote.Config().URLs) == 1 && remote.Config().URLs[0] == url {
			return &Repo{url: url, repo: repo}, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("failed to clear the clone: %w", err)
	}
	storage = filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(objectCache))
	if repo, err = gogit.Init(storage, nil); err != nil {
		return nil, fmt.Errorf("failed to create the clone: %w", err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("failed to create the clone's remote: %w", err)
	}
	return &Repo{url: url, repo: repo}, nil
}

// Remove deletes the clone kept under key, if any.
func (s *Store) Remove(key string) error {
	dir, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("failed to remove the clone: %w", err)
	}
	return nil
}

// Exists reports whether a clone is kept under key.
func (s *Store) Exists(key string) bool {
	dir, err := s.path(key)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "HEAD"))
	return err == nil
}

// path returns the directory of key, which must be a plain name.
func (s *Store) path(key string) (string, error) {
	if key == "" || !filepath.IsLocal(key) || filepath.Base(key) != key {
		return "", errors.New("invalid workspace key")
	}
	return filepath.Join(s.dir, key), nil
}
