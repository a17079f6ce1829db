// Package imagerepository reconciles ImageRepository objects: it lists the tags of the image
// repository in its registry (following pagination, honouring Retry-After), leaves out those
// spec.exclusionList matches, keeps them in the tag store and summarises them in the status.
// A repository is scanned again only when its interval has elapsed, its spec changed or a
// reconcile is requested: a restarted controller does not call the registry for repositories
// scanned within their interval.
package imagerepository

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Reconciler reconciles ImageRepository objects.
type Reconciler struct {
	rt   *reconcile.Runtime
	deps *imagecontroller.Deps
}

// Setup registers the ImageRepository reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *imagecontroller.Deps) error {
	r := &Reconciler{rt: rt, deps: d}
	err := ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImageRepository{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the %s controller: %w", imagev1.ImageRepositoryKind, err)
	}
	return nil
}

// Reconcile hands one ImageRepository to the shared runtime with a fresh per-reconcile state.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}
