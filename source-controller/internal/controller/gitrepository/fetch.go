package gitrepository

import (
	"context"
	"errors"
	"slices"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/checkout"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// fetch asks the remote for the reference and, unless the stored artifact already holds that
// commit with the same spec, clones it into a temporary directory.
func (st *state) fetch(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	ref := obj.Spec.Reference
	opts := checkout.Options{RecurseSubmodules: obj.Spec.RecurseSubmodules, SparseDirs: obj.Spec.SparseCheckout}
	// With no artifact to compare, the clone alone asks the remote for the reference.
	if obj.Status.Artifact != nil {
		resolved, err := git.ResolveRef(ctx, obj.Spec.URL, st.auth, ref)
		if err != nil {
			return st.fetchFailed(obj, err)
		}
		if st.unchanged(obj, resolved) {
			st.upToDate = true
			s.SetRevision(obj.Status.Artifact.Revision)
			return reconcile.Result{}
		}
		if ref == nil || ref.Commit == "" {
			opts.Resolved = &resolved
		}
	}
	var err error
	if st.dir, err = st.tempDir("gitrepository-"); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, err)
	}
	if st.commit, err = checkout.Clone(ctx, obj.Spec.URL, st.auth, ref, st.dir, opts); err != nil {
		return st.fetchFailed(obj, err)
	}
	s.SetRevision(st.commit.Revision)
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Result{}
}

// fetchFailed marks a failure to talk to the remote: FetchFailed=True, retried with back-off;
// the last artifact stays.
func (st *state) fetchFailed(obj *sourcev1.GitRepository, err error) reconcile.Result {
	reason := sourcev1.GitOperationFailedReason
	if errors.Is(err, git.ErrAuthFailed) {
		reason = sourcev1.AuthenticationFailedReason
	}
	return sourcecontroller.FetchFailed(obj, st.vanished, reason, err)
}

// unchanged reports whether the stored artifact holds the resolved commit, built with the
// current spec and included artifacts, so that nothing needs to be cloned.
func (st *state) unchanged(obj *sourcev1.GitRepository, resolved git.Commit) bool {
	a := obj.Status.Artifact
	if a == nil || !sameSpec(obj) || !sameIncludes(obj.Status.IncludedArtifacts, st.included) {
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
