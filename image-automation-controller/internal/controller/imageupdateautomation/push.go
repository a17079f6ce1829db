package imageupdateautomation

import (
	"context"
	"errors"
	"fmt"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/message"
	"github.com/ferry-gitops/ferry/image-automation-controller/internal/workspace"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Keys of the signing key Secret, as Flux names them: an OpenPGP key ring and its
// passphrase, or (type ssh) an SSH private key and its password, as in a GitRepository's
// SSH Secret.
const (
	signingKeyKey  = "git.asc"
	passphraseKey  = "passphrase"
	sshKeyKey      = "identity"
	sshPasswordKey = "password"
)

// commitAndPush commits tree on the checkout commit with the templated message and pushes
// it: fast-forward to the checkout branch, or, to another branch, forced with a lease on
// what that branch held when listed — unless that branch already holds tree. moved is true
// when a branch moved on the remote meanwhile.
func (st *state) commitAndPush(ctx context.Context, s *scope, r *run, tree plumbing.Hash) (res reconcile.Result, moved bool) {
	obj := s.Obj
	data := message.New(types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}, r.update.Changes, st.images,
		obj.Spec.GitSpec.Commit.MessageTemplateValues)
	msg, err := st.message.Execute(data)
	if err != nil {
		return reconcile.Stalled(imagev1.GitOperationFailedReason, err), false
	}
	branch, err := st.branch(data)
	if err != nil {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason, err), false
	}
	checkout := checkoutBranch(st.checkout)
	separate := branch != checkout
	expect := plumbing.NewHash(r.refs[plumbing.NewBranchReferenceName(branch).String()])
	if separate && !expect.IsZero() {
		holds, err := st.holdsTree(ctx, r, branch, expect, tree)
		if err != nil {
			return reconcile.Transient(imagev1.GitOperationFailedReason, fmt.Errorf("failed to check out: %w", err)), false
		}
		if holds {
			return reconcile.Done(fluxmeta.SucceededReason, readyMessage(r.update.Skipped)), false
		}
	}
	signer, err := st.signer(ctx, obj)
	if keyErr := (*workspace.KeyError)(nil); errors.As(err, &keyErr) {
		return reconcile.Stalled(imagev1.GitOperationFailedReason, err), false
	}
	if err != nil {
		return reconcile.Transient(imagev1.GitOperationFailedReason, err), false
	}
	commit, err := st.commit(obj, r, tree, msg, signer)
	if err != nil {
		return reconcile.Transient(imagev1.GitOperationFailedReason, err), false
	}
	if err := st.setRefs(r, branch, checkout, commit); err != nil {
		return reconcile.Transient(imagev1.GitOperationFailedReason, err), false
	}
	push := workspace.Push{Branch: branch, Force: separate, Expect: expect}
	if p := obj.Spec.GitSpec.Push; p != nil {
		push.Refspec, push.Options = p.Refspec, p.Options
	}
	if err := r.repo.Push(ctx, r.transport, push); err != nil {
		return reconcile.Transient(imagev1.GitOperationFailedReason, fmt.Errorf("failed to push to branch '%s': %w", branch, err)),
			errors.Is(err, workspace.ErrMoved)
	}
	st.pushed(ctx, s, branch, commit, msg, separate)
	return reconcile.Done(fluxmeta.SucceededReason, readyMessage(r.update.Skipped)), false
}

// branch returns the branch this update is pushed to: the one rendered from the branch
// template when the automation asks for one, else spec.git.push.branch or the checkout
// branch.
func (st *state) branch(data message.Data) (string, error) {
	if st.branchTemplate == nil {
		return st.pushBranch, nil
	}
	b, err := st.branchTemplate.Execute(data)
	if err != nil {
		return "", err
	}
	if err := plumbing.NewBranchReferenceName(b).Validate(); err != nil || b == "" {
		return "", fmt.Errorf("the annotation %s renders '%s', which is not a valid branch name", BranchTemplateAnnotation, b)
	}
	return b, nil
}

// holdsTree reports whether the remote branch, at hash expect, already holds tree.
func (st *state) holdsTree(ctx context.Context, r *run, branch string, expect, tree plumbing.Hash) (bool, error) {
	want := &workspace.Want{Remote: plumbing.NewBranchReferenceName(branch).String(), Local: localPush, Hash: expect}
	if _, err := r.repo.Fetch(ctx, r.transport, []*workspace.Want{want}); err != nil {
		return false, err
	}
	have, err := r.repo.TreeOf(want.Hash)
	return err == nil && have == tree, err
}

// signer reads the key of spec.git.commit.signingKey, nil when there is none. An error about
// the key itself (not about reading the Secret) is a *workspace.KeyError.
func (st *state) signer(ctx context.Context, obj *imagev1.ImageUpdateAutomation) (gogit.Signer, error) {
	k := obj.Spec.GitSpec.Commit.SigningKey
	if k == nil {
		return nil, nil
	}
	secret, err := secrets.Get(ctx, st.r.reader, obj.Namespace, k.SecretRef.Name)
	if err != nil {
		return nil, fmt.Errorf("failed to read spec.git.commit.signingKey: %w", err)
	}
	var signer gogit.Signer
	if k.GetType() == imagev1.SigningKeyTypeSSH {
		signer, err = workspace.SSHSigner(secret.Data[sshKeyKey], secret.Data[sshPasswordKey])
	} else {
		signer, err = workspace.OpenPGPSigner(secret.Data[signingKeyKey], secret.Data[passphraseKey])
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read spec.git.commit.signingKey: Secret '%s': %w", k.SecretRef.Name, err)
	}
	return signer, nil
}

// commit writes the commit of tree on the checkout commit, signed with signer when not nil.
func (st *state) commit(obj *imagev1.ImageUpdateAutomation, r *run, tree plumbing.Hash, msg string, signer gogit.Signer) (plumbing.Hash, error) {
	c := obj.Spec.GitSpec.Commit
	author := workspace.Author{Name: c.Author.Name, Email: c.Author.Email, When: time.Now()}
	return r.repo.Commit(tree, plumbing.NewHash(r.base.Hash), author, msg, signer)
}

// setRefs points the clone's branch at the new commit and HEAD at it, and the checkout
// branch (for a refspec naming it) at the checkout commit.
func (st *state) setRefs(r *run, branch, checkout string, commit plumbing.Hash) error {
	if checkout != "" && checkout != branch {
		if err := r.repo.SetRef(plumbing.NewBranchReferenceName(checkout), plumbing.NewHash(r.base.Hash)); err != nil {
			return err
		}
	}
	if err := r.repo.SetRef(plumbing.NewBranchReferenceName(branch), commit); err != nil {
		return err
	}
	return r.repo.SetHead(branch)
}

// pushed records a push in the status and an event, and asks the GitRepository to fetch
// at once when it follows the branch pushed to, as a push webhook would.
func (st *state) pushed(ctx context.Context, s *scope, branch string, commit plumbing.Hash, msg string, separate bool) {
	obj := s.Obj
	now := metav1.Now()
	obj.Status.LastPushCommit, obj.Status.LastPushTime = commit.String(), &now
	revision := branch + "@sha1:" + commit.String()
	if !separate {
		obj.Status.ObservedSourceRevision = revision
	}
	s.SetRevision(revision)
	s.Event(corev1.EventTypeNormal, fluxmeta.SucceededReason, fmt.Sprintf("committed and pushed %s to %s\n%s", commit, branch, msg))
	follows := sourcev1.GitRepositoryRef{}
	if st.repo.Spec.Reference != nil {
		follows = *st.repo.Spec.Reference
	}
	if checkoutBranch(follows) == branch {
		if err := controller.RequestReconcile(ctx, st.r.rt.Client, st.repo); err != nil {
			s.Log.Error(err, "failed to ask the GitRepository to fetch the pushed commit")
		}
	}
}
