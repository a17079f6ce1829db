// Package helmrepository reconciles HelmRepository objects: for type default it fetches the
// repository's index.yaml, checks it and stores it as the artifact; type oci has no artifact
// and only has its URL checked.
package helmrepository

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

// Reconciler reconciles HelmRepository objects.
type Reconciler struct {
	rt        *reconcile.Runtime
	artifacts *sourcecontroller.Artifacts[*sourcev1.HelmRepository]
	// secrets reads Secrets from the API server, so that they are not cached cluster-wide.
	secrets client.Reader
	// indexes holds the parsed indexes by artifact digest, shared with the HelmCharts.
	indexes *index.Cache
	// indexMaxSize is the largest index.yaml fetched, in bytes.
	indexMaxSize int64
}

// Setup registers the HelmRepository reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := &Reconciler{rt: rt, secrets: mgr.GetAPIReader(), indexes: d.HelmIndexes(), indexMaxSize: d.Helm.IndexMaxSize,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.HelmRepositoryKind, d.Storage,
			func(obj *sourcev1.HelmRepository) (**fluxmeta.Artifact, *string) {
				return &obj.Status.Artifact, &obj.Status.URL
			})}
	err := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmRepository{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the HelmRepository controller: %w", err)
	}
	return nil
}

// Reconcile runs one reconciliation of the HelmRepository named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}
