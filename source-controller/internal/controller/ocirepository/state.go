package ocirepository

import (
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// scope is the shared runtime's scope of one OCIRepository reconcile.
type scope = reconcile.Scope[*sourcev1.OCIRepository]

// state carries what one reconcile's steps hand to each other.
type state struct {
	r *Reconciler
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

// kind describes the steps of one reconcile, bound to st.
func (st *state) kind() *reconcile.Kind[*sourcev1.OCIRepository] {
	newObj := func() *sourcev1.OCIRepository { return &sourcev1.OCIRepository{} }
	return sourcecontroller.Kind(sourcev1.OCIRepositoryKind, newObj, st.r.storage, unsupportedFields, []reconcile.Step[*sourcev1.OCIRepository]{
		{Name: "validate", Run: st.validate},
		{Name: "client", Run: st.newClient},
		{Name: "resolve", Run: st.resolve},
		{Name: "pull", Run: st.pull},
		{Name: "store", Run: st.store},
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
