package imagepolicy

import (
	"time"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/policy"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// scope is the shared runtime's scope of one ImagePolicy reconcile.
type scope = reconcile.Scope[*imagev1.ImagePolicy]

// state carries what one reconcile's steps hand to each other.
type state struct {
	r *Reconciler
	// selector is the compiled policy; set by validate.
	selector *policy.Selector
	// repo is the policy's ImageRepository; set by repository.
	repo *imagev1.ImageRepository
	// latest is the elected image; set by elect, its digest by digest.
	latest imagev1.ImageRef
}

// kind describes the steps of one reconcile, bound to st.
func (st *state) kind() *reconcile.Kind[*imagev1.ImagePolicy] {
	return &reconcile.Kind[*imagev1.ImagePolicy]{
		Name: imagev1.ImagePolicyKind,
		New:  func() *imagev1.ImagePolicy { return &imagev1.ImagePolicy{} },
		Steps: []reconcile.Step[*imagev1.ImagePolicy]{
			{Name: "validate", Run: st.validate},
			{Name: "repository", Run: st.repository},
			{Name: "elect", Run: st.elect},
			{Name: "digest", Run: st.digest},
			{Name: "record", Run: st.record},
		},
		Interval: func(obj *imagev1.ImagePolicy) time.Duration { return obj.GetRequeueAfter() },
	}
}
