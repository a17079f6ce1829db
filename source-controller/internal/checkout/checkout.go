// Package checkout clones one commit of a GitRepository into a directory (shallow when it
// can), with its submodules and sparse directories, and verifies the PGP signatures of a
// commit or tag. Credentials, transports and references come from shared/git.
package checkout

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
)

// Options tunes a Clone.
type Options struct {
	// RecurseSubmodules also clones the submodules of the commit.
	RecurseSubmodules bool
	// SparseDirs, when set, limits the working tree to these directories.
	SparseDirs []string
	// Resolved, when set, is the result of an earlier git.ResolveRef of the same reference, so
	// that the remote is not asked for its references again.
	Resolved *git.Commit
}

// Clone clones ref of the repository at rawURL into dir and returns the commit.
// Branches, tags, names and semver ranges are cloned shallow (depth 1); a specific
// commit needs the history of its branch. The deadline of ctx bounds the whole clone.
func Clone(ctx context.Context, rawURL string, auth *git.Auth, ref *sourcev1.GitRepositoryRef, dir string, opts Options) (git.Commit, error) {
	if ref == nil {
		ref = &sourcev1.GitRepositoryRef{}
	}
	t, err := auth.Transport(rawURL)
	if err != nil {
		return git.Commit{}, err
	}
	fetch := t.FetchOptions("origin")
	want, err := plan(ctx, rawURL, auth, ref, opts, fetch)
	if err != nil {
		return git.Commit{}, err
	}
	repo, err := gogit.PlainInit(dir, false)
	if err != nil {
		return git.Commit{}, fmt.Errorf("failed to init repository: %w", err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{rawURL}}); err != nil {
		return git.Commit{}, fmt.Errorf("failed to create remote: %w", err)
	}
	if err := repo.FetchContext(ctx, fetch); err != nil {
		if errors.As(err, new(gogit.NoMatchingRefSpecError)) {
			return git.Commit{}, fmt.Errorf("couldn't find remote ref '%s': %w", want.Ref, git.ErrRefNotFound)
		}
		return git.Commit{}, git.RemoteError("fetch", rawURL, err)
	}
	hash, err := fetchedCommit(repo, want)
	if err != nil {
		return git.Commit{}, err
	}
	switch {
	case ref.Commit != "": // a commit given abbreviated is reported in full
		want.Revision = want.Revision[:len(want.Revision)-len(ref.Commit)] + hash.String()
	case want.Hash == "":
		want.Revision += hash.String()
	}
	want.Hash = hash.String()
	c, err := repo.CommitObject(*hash)
	if err != nil {
		return git.Commit{}, fmt.Errorf("failed to read commit '%s': %w", hash, err)
	}
	want.Message = c.Message
	wt, err := repo.Worktree()
	if err != nil {
		return git.Commit{}, fmt.Errorf("failed to open worktree: %w", err)
	}
	co := &gogit.CheckoutOptions{Hash: *hash, Force: true, SparseCheckoutDirectories: opts.SparseDirs}
	if err := wt.Checkout(co); err != nil {
		return git.Commit{}, fmt.Errorf("failed to check out commit '%s': %w", hash, err)
	}
	if opts.RecurseSubmodules {
		if err := updateSubmodules(ctx, wt, t.Auth); err != nil {
			return git.Commit{}, err
		}
	}
	return want, nil
}

// plan returns the commit a Clone wants and sets the refspecs and depth of its fetch.
func plan(ctx context.Context, rawURL string, auth *git.Auth, ref *sourcev1.GitRepositoryRef, opts Options, fetch *gogit.FetchOptions) (git.Commit, error) {
	var want git.Commit
	switch {
	case ref.Commit != "" && ref.Branch != "":
		want = git.Commit{Hash: ref.Commit, Ref: "refs/heads/" + ref.Branch, Revision: ref.Branch + "@sha1:" + ref.Commit}
		fetch.RefSpecs = []config.RefSpec{config.RefSpec("+" + want.Ref + ":" + want.Ref)}
		return want, nil
	case ref.Commit != "":
		fetch.RefSpecs = []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"}
		return git.Commit{Hash: ref.Commit, Revision: "sha1:" + ref.Commit}, nil
	case opts.Resolved != nil:
		want = *opts.Resolved
	case ref.SemVer == "" || ref.Name != "":
		// The reference names itself: fetch it without listing the remote first, and
		// complete the revision with the fetched hash.
		name, short := git.RefName(ref)
		want = git.Commit{Ref: name, Revision: short + "@sha1:"}
	default:
		var err error
		if want, err = git.ResolveRef(ctx, rawURL, auth, ref); err != nil {
			return git.Commit{}, err
		}
	}
	fetch.RefSpecs = []config.RefSpec{config.RefSpec("+" + want.Ref + ":" + want.Ref)}
	fetch.Depth = 1
	return want, nil
}

// fetchedCommit returns the commit want names in the fetched repository: its hash, possibly
// abbreviated, or else its reference, with an annotated tag peeled to its commit.
func fetchedCommit(repo *gogit.Repository, want git.Commit) (*plumbing.Hash, error) {
	if want.Hash != "" {
		hash, err := repo.ResolveRevision(plumbing.Revision(want.Hash))
		if err != nil {
			return nil, fmt.Errorf("failed to find commit '%s': %w", want.Hash, git.ErrRefNotFound)
		}
		return hash, nil
	}
	r, err := repo.Reference(plumbing.ReferenceName(want.Ref), true)
	if err != nil {
		return nil, fmt.Errorf("couldn't find remote ref '%s': %w", want.Ref, git.ErrRefNotFound)
	}
	hash := r.Hash()
	if tag, err := repo.TagObject(hash); err == nil {
		if tag.TargetType != plumbing.CommitObject {
			return nil, fmt.Errorf("tag '%s' does not point at a commit", want.Ref)
		}
		hash = tag.Target
	}
	return &hash, nil
}

func updateSubmodules(ctx context.Context, wt *gogit.Worktree, method transport.AuthMethod) error {
	subs, err := wt.Submodules()
	if err != nil {
		return fmt.Errorf("failed to list submodules: %w", err)
	}
	err = subs.UpdateContext(ctx, &gogit.SubmoduleUpdateOptions{
		Init: true, Auth: method, RecurseSubmodules: gogit.DefaultSubmoduleRecursionDepth,
	})
	if err != nil {
		return fmt.Errorf("failed to update submodules: %w", err)
	}
	return nil
}
