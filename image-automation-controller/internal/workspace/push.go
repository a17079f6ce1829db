package workspace

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"

	"github.com/ferry-gitops/ferry/shared/git"
)

// ErrMoved says that a pushed branch moved on the remote since it was fetched (someone
// pushed meanwhile): fetch again, re-apply and retry.
var ErrMoved = errors.New("the branch moved on the remote since it was fetched")

// ErrRejected says that the remote refused an update, for instance a protected branch.
var ErrRejected = errors.New("the remote rejected the update")

// Push says what a run pushes.
type Push struct {
	// Branch is pushed from the clone's branch of the same name.
	Branch string
	// Force replaces the remote branch, provided it still holds Expect (a lease); without
	// Force the update must be a fast-forward.
	Force bool
	// Expect is the commit the remote branch held when it was fetched; zero when the branch
	// did not exist.
	Expect plumbing.Hash
	// Refspec, when set, is pushed too (never forced).
	Refspec string
	// Options are push options for the server.
	Options map[string]string
}

// Push pushes p to the remote in one request. A branch that moved meanwhile fails with
// ErrMoved, an update the remote refused with ErrRejected.
func (r *Repo) Push(ctx context.Context, t *git.Transport, p Push) error {
	ref := plumbing.NewBranchReferenceName(p.Branch).String()
	spec := config.RefSpec(ref + ":" + ref)
	opts := t.PushOptions(remoteName)
	if p.Force {
		spec = "+" + spec
		if !p.Expect.IsZero() {
			opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(p.Expect.String() + ":" + ref)}
		}
	}
	opts.RefSpecs = []config.RefSpec{spec}
	if p.Refspec != "" {
		opts.RefSpecs = append(opts.RefSpecs, config.RefSpec(p.Refspec))
	}
	if len(p.Options) > 0 {
		if err := r.checkPushOptions(ctx, t); err != nil {
			return err
		}
		opts.Options = p.Options
	}
	err := r.repo.PushContext(ctx, opts)
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case moved(err):
		return fmt.Errorf("failed to push to %s: %w", git.Redact(r.url), ErrMoved)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("failed to push to %s: %w: the credentials have no write access to the repository", git.Redact(r.url), git.ErrAuthFailed)
	case strings.HasPrefix(err.Error(), "command error on "):
		return fmt.Errorf("failed to push to %s: %w: %s", git.Redact(r.url), ErrRejected, strings.TrimPrefix(err.Error(), "command error on "))
	}
	return git.RemoteError("push to", r.url, err)
}

// moved reports whether err says that a remote branch is no longer where it was: go-git's
// fast-forward and lease checks, and the remote's own refusals of a non-fast-forward.
func moved(err error) bool {
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "stale info", "required to be"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// checkPushOptions fails when the remote does not take push options, which go-git would
// otherwise drop without a word.
func (r *Repo) checkPushOptions(ctx context.Context, t *git.Transport) error {
	ep, err := transport.NewEndpoint(r.url)
	if err != nil {
		return fmt.Errorf("failed to parse the remote URL: %w", err)
	}
	ep.CaBundle, ep.ClientCert, ep.ClientKey, ep.Proxy = t.CABundle, t.ClientCert, t.ClientKey, t.Proxy
	cl, err := client.NewClient(ep)
	if err != nil {
		return fmt.Errorf("failed to reach %s: %w", git.Redact(r.url), err)
	}
	sess, err := cl.NewReceivePackSession(ep, t.Auth)
	if err != nil {
		return git.RemoteError("push to", r.url, err)
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return git.RemoteError("push to", r.url, err)
	}
	if !ar.Capabilities.Supports(capability.PushOptions) {
		return fmt.Errorf("failed to push to %s: %w: it does not take push options (spec.git.push.options)", git.Redact(r.url), ErrRejected)
	}
	return nil
}
