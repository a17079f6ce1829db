package imageupdateautomation

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/message"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// scope is the reconcile scope of an ImageUpdateAutomation.
type scope = reconcile.Scope[*imagev1.ImageUpdateAutomation]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler

	// Set by validate.
	selector labels.Selector
	message  *message.Template
	// branchTemplate renders the opt-in per-update push branch; nil when not asked for.
	branchTemplate *message.Template

	// Set by source.
	repo     *sourcev1.GitRepository
	auth     *git.Auth
	checkout sourcev1.GitRepositoryRef
	// pushBranch is the branch pushed to (empty while branchTemplate renders it per update).
	pushBranch string

	// Set by policies: the selected policies' images and the problems of the others, by
	// "<namespace>/<name>", and those the selector leaves out.
	images     map[string]imagev1.ImageRef
	problems   map[string]string
	unselected map[string]bool
}

// kind describes the reconcile of an ImageUpdateAutomation: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*imagev1.ImageUpdateAutomation] {
	return &reconcile.Kind[*imagev1.ImageUpdateAutomation]{
		Name:        imagev1.ImageUpdateAutomationKind,
		New:         func() *imagev1.ImageUpdateAutomation { return &imagev1.ImageUpdateAutomation{} },
		Finalizer:   imagev1.ImageFinalizer,
		Unsupported: unsupportedFields,
		Steps: []reconcile.Step[*imagev1.ImageUpdateAutomation]{
			{Name: "validate", Run: st.validate},
			{Name: "source", Run: st.source},
			{Name: "policies", Run: st.policies},
			{Name: "automate", Run: st.automate},
		},
		Finalize: st.finalize,
		Interval: func(obj *imagev1.ImageUpdateAutomation) time.Duration { return obj.GetRequeueAfter() },
	}
}

// finalize removes the automation's clone.
func (st *state) finalize(_ context.Context, s *scope) reconcile.Result {
	if err := st.r.store.Remove(string(s.Obj.UID)); err != nil {
		return reconcile.Transient(imagev1.SourceManagerFailedReason, err)
	}
	return reconcile.Done("", "")
}
