package helmrepository

import (
	"context"
	"fmt"
	"net/url"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// reconcileOCI checks the URL of an OCI repository. Such a repository has no artifact: its
// charts are listed and pulled from the registry by the HelmCharts that use it. Artifacts
// left from an earlier type default are removed.
func (r *Reconciler) reconcileOCI(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmRepository]) reconcile.Result {
	obj := s.Obj
	u, err := url.Parse(obj.Spec.URL)
	if err == nil && (u.Scheme != "oci" || u.Host == "") {
		err = fmt.Errorf("invalid OCI repository URL %q: expected oci://<registry>/<path>", obj.Spec.URL)
	}
	if err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if obj.Status.Artifact != nil {
		if err := sourcectrl.RemoveArtifacts(ctx, r.deps.Storage, sourcev1.HelmRepositoryKind, obj); err != nil {
			return sourcectrl.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
		}
	}
	obj.Status.Artifact, obj.Status.URL = nil, ""
	for _, c := range []string{sourcev1.ArtifactInStorageCondition, sourcev1.FetchFailedCondition, sourcev1.StorageOperationFailedCondition} {
		conditions.Delete(obj, c)
	}
	return reconcile.Done(fluxmeta.SucceededReason, "Helm repository is Ready: an OCI repository has no index artifact; charts are pulled from the registry")
}
