package ocirepository

import (
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// scope is the reconcile scope of an OCIRepository.
type scope = reconcile.Scope[*sourcev1.OCIRepository]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// client talks to the registry; built by the client step.
	client *oci.Client
	// resolved is what spec.ref points at now.
	resolved oci.Resolved
	// upToDate is true when the stored artifact already holds the resolved revision with the
	// current layer selector and ignore rules: nothing is pulled.
	upToDate bool
	// pulled is the content fetched by the pull step (a directory or a layer file).
	pulled   string
	metadata map[string]string
	cleanup  []func()
}

// kind describes the reconcile of an OCIRepository: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*sourcev1.OCIRepository] {
	return st.r.artifacts.Kind(func() *sourcev1.OCIRepository { return &sourcev1.OCIRepository{} }, unsupportedFields,
		[]reconcile.Step[*sourcev1.OCIRepository]{
			{Name: "storage", Run: st.checkStorage},
			{Name: "validate", Run: st.validate},
			{Name: "client", Run: st.newClient},
			{Name: "resolve", Run: st.resolve},
			{Name: "verify", Run: st.verify},
			{Name: "pull", Run: st.pull},
			{Name: "artifact", Run: st.store},
		})
}

// close releases the registry client and temporary files.
func (st *state) close() {
	if st.client != nil {
		st.client.Close()
	}
	for _, f := range st.cleanup {
		f()
	}
}
