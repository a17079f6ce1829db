package helmrepository

import (
	"os"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// scope is the reconcile scope of a HelmRepository.
type scope = reconcile.Scope[*sourcev1.HelmRepository]

// state is what one reconcile's steps hand each other. The steps after "oci" have nothing to
// do for a repository of type oci.
type state struct {
	r *Reconciler
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// opts are how to reach the repository.
	opts repository.Options
	// fetched is the temporary file holding the fetched index.yaml, and digest its digest.
	fetched *os.File
	digest  string
	// upToDate is set when the stored artifact already is the fetched index.
	upToDate bool
	// idx is the fetched index, parsed.
	idx *index.Index
}

// kind describes the reconcile of a HelmRepository: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*sourcev1.HelmRepository] {
	return st.r.artifacts.Kind(func() *sourcev1.HelmRepository { return &sourcev1.HelmRepository{} }, unsupportedFields,
		[]reconcile.Step[*sourcev1.HelmRepository]{
			{Name: "storage", Run: st.checkStorage},
			{Name: "validate", Run: st.validate},
			{Name: "oci", Run: st.oci},
			{Name: "credentials", Run: st.credentials},
			{Name: "fetch", Run: st.fetch},
			{Name: "index", Run: st.parse},
			{Name: "artifact", Run: st.store},
		})
}

// close removes the fetched index file.
func (st *state) close() {
	if st.fetched != nil {
		_ = st.fetched.Close()
		_ = os.Remove(st.fetched.Name())
	}
}
