package gitrepository

import (
	"fmt"
	"os"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// scope is the reconcile scope of a GitRepository.
type scope = reconcile.Scope[*sourcev1.GitRepository]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
	// auth holds the credentials and proxy of the remote.
	auth *git.Auth
	// included are the artifacts of spec.include, in order.
	included []*fluxmeta.Artifact
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// upToDate is set when the stored artifact already matches the remote and the spec.
	upToDate bool
	// commit is the commit checked out into dir.
	commit git.Commit
	dir    string
	tmp    []string
}

// kind describes the reconcile of a GitRepository: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*sourcev1.GitRepository] {
	return st.r.artifacts.Kind(func() *sourcev1.GitRepository { return &sourcev1.GitRepository{} }, unsupportedFields,
		[]reconcile.Step[*sourcev1.GitRepository]{
			{Name: "storage", Run: st.checkStorage},
			{Name: "validate", Run: st.validate},
			{Name: "credentials", Run: st.credentials},
			{Name: "include", Run: st.resolveIncludes},
			{Name: "fetch", Run: st.fetch},
			{Name: "verify", Run: st.verify},
			{Name: "artifact", Run: st.storeArtifact},
		})
}

// close removes the reconcile's temporary directories.
func (st *state) close() {
	for _, dir := range st.tmp {
		_ = os.RemoveAll(dir)
	}
}

// tempDir makes a temporary directory that close removes.
func (st *state) tempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("failed to create temporary directory: %w", err)
	}
	st.tmp = append(st.tmp, dir)
	return dir, nil
}
