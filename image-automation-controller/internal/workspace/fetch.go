package workspace

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferry-gitops/ferry/shared/git"
)

// Want is a remote reference a run needs, and where the clone keeps it.
type Want struct {
	// Remote is the remote reference, e.g. refs/heads/main.
	Remote string
	// Local is the clone's reference that holds it.
	Local plumbing.ReferenceName
	// Hash is the commit the remote's listing gave; Fetch sets it to the commit fetched.
	Hash plumbing.Hash
}

// Fetch makes each Local reference of wants hold its remote commit, fetching in one
// request only the references whose commit the clone does not already hold at Local: a run
// with nothing new makes no fetch at all. It returns how many references it fetched.
func (r *Repo) Fetch(ctx context.Context, t *git.Transport, wants []*Want) (int, error) {
	var specs []config.RefSpec
	for _, w := range wants {
		if !r.holds(w.Local, w.Hash) {
			specs = append(specs, config.RefSpec("+"+w.Remote+":"+w.Local.String()))
		}
	}
	if len(specs) == 0 {
		return 0, nil
	}
	err := r.repo.FetchContext(ctx, t.FetchOptions(remoteName, specs...))
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		if errors.As(err, new(gogit.NoMatchingRefSpecError)) {
			return 0, fmt.Errorf("failed to fetch from %s: %w", git.Redact(r.url), git.ErrRefNotFound)
		}
		return 0, git.RemoteError("fetch from", r.url, err)
	}
	for _, w := range wants {
		ref, err := r.repo.Reference(w.Local, true)
		if err != nil {
			return 0, fmt.Errorf("couldn't find remote ref '%s': %w", w.Remote, git.ErrRefNotFound)
		}
		if w.Hash, err = r.peel(ref.Hash()); err != nil {
			return 0, fmt.Errorf("remote ref '%s': %w", w.Remote, err)
		}
		if err := r.SetRef(w.Local, w.Hash); err != nil {
			return 0, err
		}
	}
	return len(specs), nil
}

// peel follows annotated tags from hash to the commit they name.
func (r *Repo) peel(hash plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		tag, err := r.repo.TagObject(hash)
		if err != nil {
			return hash, nil
		}
		if tag.TargetType != plumbing.CommitObject && tag.TargetType != plumbing.TagObject {
			return plumbing.ZeroHash, fmt.Errorf("the tag '%s' does not point at a commit", tag.Name)
		}
		hash = tag.Target
	}
	return plumbing.ZeroHash, errors.New("too many nested tags")
}

// FetchCommit returns the commit rev (a full or abbreviated hash) names, fetching every
// branch of the remote when the clone does not hold it: a commit is reachable from some
// branch.
func (r *Repo) FetchCommit(ctx context.Context, t *git.Transport, rev string) (plumbing.Hash, error) {
	if h, err := r.repo.ResolveRevision(plumbing.Revision(rev)); err == nil && r.hasCommit(*h) {
		return *h, nil
	}
	err := r.repo.FetchContext(ctx, t.FetchOptions(remoteName, "+refs/heads/*:refs/remotes/origin/*"))
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, git.RemoteError("fetch from", r.url, err)
	}
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil || !r.hasCommit(*h) {
		return plumbing.ZeroHash, fmt.Errorf("couldn't find commit '%s' on any branch: %w", rev, git.ErrRefNotFound)
	}
	return *h, nil
}

// holds reports whether the clone's reference name points at hash and has the commit.
func (r *Repo) holds(name plumbing.ReferenceName, hash plumbing.Hash) bool {
	ref, err := r.repo.Reference(name, true)
	return err == nil && ref.Hash() == hash && r.hasCommit(hash)
}

// hasCommit reports whether the clone has the commit hash.
func (r *Repo) hasCommit(hash plumbing.Hash) bool {
	_, err := r.repo.CommitObject(hash)
	return err == nil
}

// SetRef points the clone's reference name at hash.
func (r *Repo) SetRef(name plumbing.ReferenceName, hash plumbing.Hash) error {
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(name, hash)); err != nil {
		return fmt.Errorf("failed to set %s: %w", name, err)
	}
	return nil
}

// SetHead makes the clone's HEAD name the branch, as a push refspec of HEAD expects.
func (r *Repo) SetHead(branch string) error {
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch))
	if err := r.repo.Storer.SetReference(head); err != nil {
		return fmt.Errorf("failed to set HEAD: %w", err)
	}
	return nil
}

// TreeOf returns the root tree of commit hash.
func (r *Repo) TreeOf(hash plumbing.Hash) (plumbing.Hash, error) {
	c, err := r.repo.CommitObject(hash)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("failed to read commit '%s': %w", hash, err)
	}
	return c.TreeHash, nil
}
