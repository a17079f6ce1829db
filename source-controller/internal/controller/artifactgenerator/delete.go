package artifactgenerator

import (
	"context"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// finalize deletes the generator's ExternalArtifacts and their files before the generator
// goes away. A failure is retried.
func (st *state) finalize(ctx context.Context, s *scope) reconcile.Result {
	for _, ref := range s.Obj.Status.Inventory {
		if err := st.remove(ctx, s, ref); err != nil {
			return reconcile.Transient(fluxmeta.DeletionFailedReason, err)
		}
	}
	return reconcile.Result{}
}
