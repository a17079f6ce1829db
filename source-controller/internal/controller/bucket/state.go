package bucket

import (
	"os"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
)

// scope is the reconcile scope of a Bucket.
type scope = reconcile.Scope[*sourcev1.Bucket]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
	// cfg says how to reach the bucket.
	cfg bucket.Config
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// upToDate is set when the stored artifact already holds the listed objects.
	upToDate bool
	// index is the listing downloaded into dir; stats tell what the download did.
	index bucket.Index
	stats bucket.Stats
	dir   string
}

// kind describes the reconcile of a Bucket: its steps, in order, share st; its finalizer
// also forgets the object's listing.
func (st *state) kind() *reconcile.Kind[*sourcev1.Bucket] {
	kind := st.r.artifacts.Kind(func() *sourcev1.Bucket { return &sourcev1.Bucket{} }, unsupportedFields,
		[]reconcile.Step[*sourcev1.Bucket]{
			{Name: "storage", Run: st.checkStorage},
			{Name: "validate", Run: st.validate},
			{Name: "credentials", Run: st.credentials},
			{Name: "fetch", Run: st.fetch},
			{Name: "artifact", Run: st.storeArtifact},
		})
	kind.Finalize = st.finalize
	return kind
}

// close removes the reconcile's temporary directory.
func (st *state) close() {
	if st.dir != "" {
		_ = os.RemoveAll(st.dir)
	}
}
