package imageupdateautomation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// source reads the GitRepository and its credentials, and works out the ref to check out
// and the branch to push to.
func (st *state) source(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ref := obj.Spec.SourceRef
	if v := ref.APIVersion; v != "" && !strings.HasPrefix(v, sourcev1.GroupVersion.Group+"/") {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason,
			fmt.Errorf("spec.sourceRef.apiVersion '%s' is not a version of %s", v, sourcev1.GroupVersion.Group))
	}
	src, res := sourceref.Resolve(ctx, st.r.rt.Client, obj, sourceref.Ref{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name},
		sourceKinds, st.r.noCrossNamespaceRefs, imagev1.InvalidSourceConfigReason)
	if !res.IsDone() {
		return res
	}
	repo, ok := src.(*sourcev1.GitRepository)
	if !ok {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason, fmt.Errorf("source '%s' is not a GitRepository", ref.Name))
	}
	st.repo = repo
	id := repo.Namespace + "/" + repo.Name
	if err := cloud.CheckSpec(repo.Spec.Provider, repo.Spec.ServiceAccountName, false, st.r.objectLevel); err != nil {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason, fmt.Errorf("GitRepository '%s': %w", id, err))
	}
	if repo.Spec.Provider == sourcev1.GitProviderAWS {
		if err := cloud.CheckCodeCommitURL(repo.Spec.URL); err != nil {
			return reconcile.Stalled(imagev1.InvalidSourceConfigReason, fmt.Errorf("GitRepository '%s': %w", id, err))
		}
	}
	name := cloud.ServiceAccountName(repo.Spec.Provider, repo.Spec.ServiceAccountName, st.r.defaultSA)
	sa, err := cloud.ObjectServiceAccount(ctx, st.r.reader, st.r.rt.Client, repo.Spec.Provider, repo.Namespace, name)
	if err != nil {
		return reconcile.Transient(imagev1.SourceManagerFailedReason, fmt.Errorf("failed to read the credentials of GitRepository '%s': %w", id, err))
	}
	auth, err := git.ForRepositoryAs(ctx, st.r.reader, st.r.tokens, repo, sa)
	if err != nil {
		return reconcile.Transient(imagev1.SourceManagerFailedReason, fmt.Errorf("failed to read the credentials of GitRepository '%s': %w", id, err))
	}
	st.auth = auth
	st.checkout = checkoutRef(obj, repo)
	if st.pushBranch, err = pushBranch(obj, st.checkout); err != nil && st.branchTemplate == nil {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason, err)
	}
	return reconcile.Done("", "")
}

// checkoutRef is spec.git.checkout.ref, or the GitRepository's ref, or its default branch.
func checkoutRef(obj *imagev1.ImageUpdateAutomation, repo *sourcev1.GitRepository) sourcev1.GitRepositoryRef {
	if c := obj.Spec.GitSpec.Checkout; c != nil {
		r := c.Reference
		return sourcev1.GitRepositoryRef{Branch: r.Branch, Tag: r.Tag, SemVer: r.SemVer, Name: r.Name, Commit: r.Commit}
	}
	if repo.Spec.Reference != nil {
		return *repo.Spec.Reference
	}
	return sourcev1.GitRepositoryRef{Branch: git.DefaultBranch}
}

// checkoutBranch returns the branch a checkout ref follows, or "" for a tag, semver range,
// name or commit.
func checkoutBranch(ref sourcev1.GitRepositoryRef) string {
	switch {
	case ref.Commit != "", ref.Name != "", ref.SemVer != "", ref.Tag != "":
		return ""
	case ref.Branch != "":
		return ref.Branch
	}
	return git.DefaultBranch
}

// pushBranch is spec.git.push.branch, or else the checkout branch.
func pushBranch(obj *imagev1.ImageUpdateAutomation, checkout sourcev1.GitRepositoryRef) (string, error) {
	if p := obj.Spec.GitSpec.Push; p != nil && p.Branch != "" {
		return p.Branch, nil
	}
	if b := checkoutBranch(checkout); b != "" {
		return b, nil
	}
	return "", errors.New("no branch to push to: the checkout ref is not a branch; set spec.git.push.branch")
}
