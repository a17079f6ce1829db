package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/git"
)

// fetch asks the remote for the reference and, unless the stored artifact already holds that
// commit with the same spec, clones it into a temporary directory.
func (p *pass) fetch(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	ref := obj.Spec.Reference
	opts := git.CheckoutOptions{RecurseSubmodules: obj.Spec.RecurseSubmodules, SparseDirs: obj.Spec.SparseCheckout}
	// With no artifact to compare, the clone alone asks the remote for the reference.
	if obj.Status.Artifact != nil {
		resolved, err := git.ResolveRef(ctx, obj.Spec.URL, p.auth, ref)
		if err != nil {
			return p.fetchFailed(obj, err)
		}
		if p.unchanged(obj, resolved) {
			p.upToDate = true
			s.SetRevision(obj.Status.Artifact.Revision)
			conditions.Delete(obj, sourcev1.FetchFailedCondition)
			return reconcile.Result{}
		}
		if ref == nil || ref.Commit == "" {
			opts.Resolved = &resolved
		}
	}
	var err error
	if p.dir, err = p.tempDir("gitrepository-"); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, err)
	}
	if p.commit, err = git.Checkout(ctx, obj.Spec.URL, p.auth, ref, p.dir, opts); err != nil {
		return p.fetchFailed(obj, err)
	}
	s.SetRevision(p.commit.Revision)
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Result{}
}

// fetchFailed marks a failure to talk to the remote: FetchFailed=True, retried with back-off;
// the last artifact stays.
func (p *pass) fetchFailed(obj *sourcev1.GitRepository, err error) reconcile.Result {
	reason := sourcev1.GitOperationFailedReason
	if errors.Is(err, git.ErrAuthFailed) {
		reason = sourcev1.AuthenticationFailedReason
	}
	if p.vanished {
		err = fmt.Errorf("the artifact vanished from storage and cannot be fetched again: %w", err)
	}
	conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}

// unchanged reports whether the stored artifact holds the resolved commit, built with the
// current spec and included artifacts, so that nothing needs to be cloned.
func (p *pass) unchanged(obj *sourcev1.GitRepository, resolved git.Commit) bool {
	a := obj.Status.Artifact
	if a == nil || !sameSpec(obj) || !sameIncludes(obj.Status.IncludedArtifacts, p.included) {
		return false
	}
	if ref := obj.Spec.Reference; ref != nil && ref.Commit != "" {
		want := "sha1:" + ref.Commit
		if ref.Branch != "" {
			want = ref.Branch + "@" + want
		}
		return strings.HasPrefix(a.Revision, want)
	}
	return a.Revision == resolved.Revision
}

// sameSpec reports whether the observed fields of the status match the spec.
func sameSpec(obj *sourcev1.GitRepository) bool {
	st, spec := &obj.Status, &obj.Spec
	return sameVerification(obj) && equalPtr(st.ObservedIgnore, spec.Ignore) &&
		st.ObservedRecurseSubmodules == spec.RecurseSubmodules &&
		slices.Equal(st.ObservedSparseCheckout, spec.SparseCheckout) &&
		slices.Equal(st.ObservedInclude, spec.Include)
}

func equalPtr(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// sameIncludes reports whether the artifacts included last time are the current ones.
func sameIncludes(observed, current []*fluxmeta.Artifact) bool {
	return slices.EqualFunc(observed, current, func(a, b *fluxmeta.Artifact) bool {
		return a != nil && b != nil && a.Digest == b.Digest && a.Revision == b.Revision
	})
}

// digestOf returns the digest of a, or "" for no artifact.
func digestOf(a *fluxmeta.Artifact) string {
	if a == nil {
		return ""
	}
	return a.Digest
}

// tempDir makes a temporary directory that the pass removes when it ends.
func (p *pass) tempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("failed to create temporary directory: %w", err)
	}
	p.tmp = append(p.tmp, dir)
	return dir, nil
}
