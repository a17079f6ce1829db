// Package bootstrap writes Ferry's own manifests to a Git repository, the way flux
// bootstrap does: it clones the branch (or starts it in an empty repository), writes
// <path>/flux-system/{gotk-components.yaml,gotk-sync.yaml,kustomization.yaml}, and commits
// and pushes only when a file changed, so that running it again makes no commit.
package bootstrap

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"golang.org/x/crypto/ssh"
)

// Auth is how the CLI authenticates to the Git server.
type Auth struct {
	// Username and Password are HTTP(S) basic auth (a token as password with --token-auth).
	Username, Password string
	// BearerToken is sent as an HTTP bearer token.
	BearerToken string
	// PrivateKey (PEM) and KnownHosts authenticate over SSH.
	PrivateKey, KnownHosts []byte
	// CABundle (PEM) validates a self-signed HTTPS server.
	CABundle []byte
}

// method returns go-git's auth method of a for the URL's scheme.
func (a Auth) method(u *url.URL) (transport.AuthMethod, error) {
	switch u.Scheme {
	case "ssh":
		if len(a.PrivateKey) == 0 {
			return nil, errors.New("a private key is required for an ssh URL (--private-key-file)")
		}
		signer, err := ssh.ParsePrivateKey(a.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("failed to parse the private key: %w", err)
		}
		user := u.User.Username()
		if user == "" {
			user = "git"
		}
		auth := &gitssh.PublicKeys{User: user, Signer: signer}
		callback, err := hostKeyCallback(a.KnownHosts)
		if err != nil {
			return nil, err
		}
		auth.HostKeyCallback = callback
		return auth, nil
	case "http", "https":
		switch {
		case a.BearerToken != "":
			return &http.TokenAuth{Token: a.BearerToken}, nil
		case a.Password != "":
			return &http.BasicAuth{Username: a.Username, Password: a.Password}, nil
		}
		return nil, nil
	}
	return nil, fmt.Errorf("git URL scheme '%s' not supported, can be: ssh, http and https", u.Scheme)
}

// hostKeyCallback checks host keys against a known_hosts content.
func hostKeyCallback(known []byte) (ssh.HostKeyCallback, error) {
	if len(known) == 0 {
		return nil, errors.New("the server's known_hosts are required for an ssh URL")
	}
	db, err := knownhostsFromBytes(known)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// Repo is a clone of one branch, held in memory.
type Repo struct {
	url    string
	branch string
	auth   transport.AuthMethod
	ca     []byte
	repo   *git.Repository
	fs     billy.Filesystem
}

// Clone clones branch of rawURL into memory; an empty repository, or one without the
// branch, gives a Repo whose first commit starts the branch.
func Clone(rawURL, branch string, a Auth) (*Repo, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the Git URL: %w", err)
	}
	method, err := a.method(u)
	if err != nil {
		return nil, err
	}
	r := &Repo{url: rawURL, branch: branch, auth: method, ca: a.CABundle, fs: memfs.New()}
	r.repo, err = git.Clone(memory.NewStorage(), r.fs, &git.CloneOptions{
		URL: rawURL, Auth: method, CABundle: a.CABundle, ReferenceName: plumbing.NewBranchReferenceName(branch),
		SingleBranch: true, Depth: 1,
	})
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository) || isMissingBranch(err):
		return r, r.init()
	}
	return nil, fmt.Errorf("failed to clone %s: %w", rawURL, err)
}

// isMissingBranch reports whether err says that the branch does not exist.
func isMissingBranch(err error) bool {
	var noMatch git.NoMatchingRefSpecError
	return errors.As(err, &noMatch) || errors.Is(err, plumbing.ErrReferenceNotFound)
}

// init starts a new repository whose HEAD is the branch, with origin set.
func (r *Repo) init() error {
	r.fs = memfs.New()
	repo, err := git.Init(memory.NewStorage(), r.fs)
	if err != nil {
		return fmt.Errorf("failed to start a repository: %w", err)
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(r.branch))
	if err := repo.Storer.SetReference(head); err != nil {
		return fmt.Errorf("failed to set HEAD: %w", err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.url}}); err != nil {
		return fmt.Errorf("failed to add the remote: %w", err)
	}
	r.repo = repo
	return nil
}

// Signature is the author of the commits.
type Signature struct {
	// Name and Email identify the author.
	Name, Email string
}

// Commit writes files (slash paths to content), and, when any of them changed, commits them
// with message and pushes the branch. It returns the commit's hash, or "" when nothing
// changed.
func (r *Repo) Commit(files map[string]string, author Signature, message string) (string, error) {
	wt, err := r.repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("failed to open the worktree: %w", err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := writeFile(r.fs, p, files[p]); err != nil {
			return "", err
		}
		if _, err := wt.Add(p); err != nil {
			return "", fmt.Errorf("failed to add %s: %w", p, err)
		}
	}
	status, err := wt.Status()
	if err != nil {
		return "", fmt.Errorf("failed to read the worktree status: %w", err)
	}
	if status.IsClean() {
		return "", nil
	}
	hash, err := wt.Commit(message, &git.CommitOptions{Author: &object.Signature{
		Name: author.Name, Email: author.Email, When: time.Now()}})
	if err != nil {
		return "", fmt.Errorf("failed to commit: %w", err)
	}
	ref := plumbing.NewBranchReferenceName(r.branch)
	err = r.repo.Push(&git.PushOptions{
		RemoteName: "origin", Auth: r.auth, CABundle: r.ca,
		RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)},
	})
	if err != nil {
		return "", fmt.Errorf("failed to push to %s: %w", r.url, err)
	}
	return hash.String(), nil
}

// Head returns the hash of the branch's current commit, or "" in an empty repository.
func (r *Repo) Head() string {
	ref, err := r.repo.Head()
	if err != nil {
		return ""
	}
	return ref.Hash().String()
}

// writeFile writes content to the slash path p of fs.
func writeFile(fs billy.Filesystem, p, content string) error {
	if err := fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", path.Dir(p), err)
	}
	f, err := fs.Create(p)
	if err != nil {
		return fmt.Errorf("failed to create %s: %w", p, err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		_ = f.Close()
		return fmt.Errorf("failed to write %s: %w", p, err)
	}
	return f.Close()
}
