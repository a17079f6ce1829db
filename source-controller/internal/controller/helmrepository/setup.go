// Package helmrepository reconciles HelmRepository objects: for type default it fetches the
// repository's index.yaml, checks it and stores it as the artifact; type oci has no artifact
// and only has its URL checked.
package helmrepository

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// Reconciler reconciles HelmRepository objects.
type Reconciler struct {
	rt   *reconcile.Runtime
	deps *sourcectrl.Deps
	// secrets reads Secrets from the API server, so that they are not cached cluster-wide.
	secrets client.Reader
	kind    *reconcile.Kind[*sourcev1.HelmRepository]
}

// Setup registers the HelmRepository reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcectrl.Deps) error {
	r := &Reconciler{rt: rt, deps: d, secrets: mgr.GetAPIReader()}
	newObj := func() *sourcev1.HelmRepository { return &sourcev1.HelmRepository{} }
	r.kind = sourcectrl.Kind(sourcev1.HelmRepositoryKind, newObj, d.Storage, unsupportedFields,
		[]reconcile.Step[*sourcev1.HelmRepository]{{Name: "reconcile", Run: r.reconcile}})
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmRepository{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
}

// Reconcile reconciles one HelmRepository.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcile.Run(ctx, r.rt, r.kind, req)
}

// reconcile handles each repository type.
func (r *Reconciler) reconcile(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmRepository]) reconcile.Result {
	if s.Obj.IsOCI() {
		return r.reconcileOCI(ctx, s)
	}
	return r.reconcileIndex(ctx, s)
}
