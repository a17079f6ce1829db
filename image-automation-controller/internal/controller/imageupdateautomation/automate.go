package imageupdateautomation

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/setters"
	"github.com/ferry-gitops/ferry/image-automation-controller/internal/workspace"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// maxAttempts bounds how often a run re-applies its update on a branch that moved on the
// remote meanwhile.
const maxAttempts = 3

// The clone's references holding the fetched checkout commit and push branch.
const (
	localCheckout plumbing.ReferenceName = "refs/ferry/checkout"
	localPush     plumbing.ReferenceName = "refs/ferry/push"
)

// upToDate is the Ready message of a run that left the repository holding every image.
const upToDate = "repository up-to-date"

// run is what one attempt of a run works with.
type run struct {
	repo      *workspace.Repo
	transport *git.Transport
	// refs is the remote's listing, by reference name.
	refs map[string]string
	// base is the checkout commit, its hash fetched.
	base git.Commit
	// update holds the changes and skipped markers of the rewrite.
	update setters.Result
}

// automate lists the remote and, unless the head and the images are those of the last run,
// fetches what is new, rewrites the marked fields, commits and pushes. When the branch moved
// on the remote while pushing, it starts again on the new head, a bounded number of times.
func (st *state) automate(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, st.repo.GetTimeout())
	defer cancel()
	now := metav1.Now()
	obj.Status.LastAutomationRunTime = &now
	t, err := st.auth.Transport(st.repo.Spec.URL)
	if err != nil {
		return reconcile.Transient(imagev1.SourceManagerFailedReason, err)
	}
	for attempt := 1; ; attempt++ {
		r := &run{transport: t}
		if r.refs, err = git.ListRefs(ctx, st.repo.Spec.URL, st.auth); err == nil {
			r.base, err = git.SelectRef(r.refs, &st.checkout)
		}
		if err != nil {
			return reconcile.Transient(imagev1.GitOperationFailedReason, fmt.Errorf("failed to check out: %w", err))
		}
		if attempt == 1 && st.unchanged(obj, r.base) {
			return reconcile.Done(fluxmeta.SucceededReason, conditions.Get(obj, fluxmeta.ReadyCondition).Message)
		}
		res, moved := st.attempt(ctx, s, r)
		if !moved || attempt == maxAttempts {
			return res
		}
		s.Log.Info("the branch moved on the remote while pushing: re-applying on its new head", "attempt", attempt)
	}
}

// unchanged reports whether a run can stop at the listing: the spec, the remote head and the
// images are those of the last successful run, which pushed to the checkout branch itself.
func (st *state) unchanged(obj *imagev1.ImageUpdateAutomation, base git.Commit) bool {
	sameBranch := st.branchTemplate == nil && st.pushBranch == checkoutBranch(st.checkout) && !obj.Spec.GitSpec.HasRefspec()
	return sameBranch && obj.Status.ObservedGeneration == obj.Generation && conditions.IsReady(obj) &&
		obj.Status.ObservedSourceRevision == base.Revision && maps.Equal(obj.Status.ObservedPolicies, st.observed())
}

// attempt fetches, rewrites and, when something changed, commits and pushes. moved is true
// when the push found its branch moved on the remote.
func (st *state) attempt(ctx context.Context, s *scope, r *run) (res reconcile.Result, moved bool) {
	obj := s.Obj
	fresh := !st.r.store.Exists(string(obj.UID))
	var err error
	if r.repo, err = st.r.store.Open(string(obj.UID), st.repo.Spec.URL); err != nil {
		return reconcile.Transient(imagev1.SourceManagerFailedReason, err), false
	}
	if fresh {
		if err := s.Progressing(ctx, fmt.Sprintf("cloning %s at %s", git.Redact(st.repo.Spec.URL), r.base.Revision)); err != nil {
			return reconcile.Transient(imagev1.SourceManagerFailedReason, err), false
		}
	}
	if err := st.fetch(ctx, r); err != nil {
		return reconcile.Transient(imagev1.GitOperationFailedReason, fmt.Errorf("failed to check out: %w", err)), false
	}
	obj.Status.ObservedPolicies = st.observed()
	obj.Status.ObservedSourceRevision = r.base.Revision
	s.SetRevision(r.base.Revision)
	resolve := st.resolve(obj.Namespace)
	edit := func(p string, data []byte) ([]byte, bool, error) {
		out, changed := r.update.Apply(p, data, resolve)
		return out, changed, nil
	}
	tree, changed, err := r.repo.Rewrite(plumbing.NewHash(r.base.Hash), updatePath(obj.Spec.Update), setters.Candidate, edit)
	if err != nil {
		return reconcile.Transient(imagev1.UpdateFailedReason, fmt.Errorf("failed to update the files: %w", err)), false
	}
	if !changed {
		return reconcile.Done(fluxmeta.SucceededReason, readyMessage(r.update.Skipped)), false
	}
	return st.commitAndPush(ctx, s, r, tree)
}

// fetch makes the clone hold the checkout commit, and the push branch when it is another
// branch that exists, and sets r.base to the commit fetched.
func (st *state) fetch(ctx context.Context, r *run) error {
	if r.base.Ref == "" {
		h, err := r.repo.FetchCommit(ctx, r.transport, r.base.Hash)
		r.base.Hash, r.base.Revision = h.String(), "sha1:"+h.String()
		return err
	}
	wants := []*workspace.Want{{Remote: r.base.Ref, Local: localCheckout, Hash: plumbing.NewHash(r.base.Hash)}}
	if b := st.pushBranch; b != "" && b != checkoutBranch(st.checkout) {
		if h, ok := r.refs[plumbing.NewBranchReferenceName(b).String()]; ok {
			wants = append(wants, &workspace.Want{Remote: plumbing.NewBranchReferenceName(b).String(), Local: localPush, Hash: plumbing.NewHash(h)})
		}
	}
	if _, err := r.repo.Fetch(ctx, r.transport, wants); err != nil {
		return err
	}
	if h := wants[0].Hash.String(); h != r.base.Hash {
		r.base.Revision = strings.TrimSuffix(r.base.Revision, r.base.Hash) + h
		r.base.Hash = h
	}
	return nil
}

// readyMessage is the Ready message of a run: up to date, with the markers it skipped.
func readyMessage(skipped []setters.Skip) string {
	if len(skipped) == 0 {
		return upToDate
	}
	const shown = 3
	list := make([]string, 0, shown+1)
	for i, sk := range skipped {
		if i == shown {
			list = append(list, fmt.Sprintf("and %d more", len(skipped)-shown))
			break
		}
		list = append(list, sk.String())
	}
	return fmt.Sprintf("%s; %d marker(s) skipped: %s", upToDate, len(skipped), strings.Join(list, "; "))
}
