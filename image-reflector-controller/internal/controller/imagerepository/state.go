package imagerepository

import (
	"context"
	"regexp"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// scope is the shared runtime's scope of one ImageRepository reconcile.
type scope = reconcile.Scope[*imagev1.ImageRepository]

// state carries what one reconcile's steps hand to each other.
type state struct {
	r *Reconciler
	// repo is spec.image parsed; set by validate.
	repo name.Repository
	// exclusions are spec.exclusionList compiled; set by validate.
	exclusions []*regexp.Regexp
	// skipped is true when the last scan is recent enough: nothing is listed or stored.
	skipped bool
	// tags are the tags listed and not excluded; set by scan.
	tags []string
}

// kind describes the steps of one reconcile, bound to st.
func (st *state) kind() *reconcile.Kind[*imagev1.ImageRepository] {
	return &reconcile.Kind[*imagev1.ImageRepository]{
		Name:        imagev1.ImageRepositoryKind,
		New:         func() *imagev1.ImageRepository { return &imagev1.ImageRepository{} },
		Finalizer:   imagev1.ImageFinalizer,
		Unsupported: unsupportedFields,
		Steps: []reconcile.Step[*imagev1.ImageRepository]{
			{Name: "validate", Run: st.validate},
			{Name: "scan", Run: st.scan},
			{Name: "store", Run: st.store},
		},
		Finalize: st.finalize,
		Interval: func(obj *imagev1.ImageRepository) time.Duration { return obj.GetRequeueAfter() },
	}
}

// finalize removes the repository's tags from the store.
func (st *state) finalize(_ context.Context, s *scope) reconcile.Result {
	if err := st.r.deps.Store.Delete(s.Obj.Namespace, s.Obj.Name); err != nil {
		return reconcile.Transient(imagev1.ReadOperationFailedReason, err)
	}
	return reconcile.Done("", "")
}
