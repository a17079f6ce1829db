// Package ocirepository reconciles OCIRepository objects: it resolves spec.ref in the
// registry, pulls the selected layer only when the resolved revision is not the stored one,
// and publishes it as an artifact in the storage.
package ocirepository

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// controllerName names the controller in logs and metrics.
const controllerName = "ocirepository"

// Reconciler reconciles OCIRepository objects.
type Reconciler struct {
	rt      *reconcile.Runtime
	storage *storage.Storage
	// secrets reads Secrets straight from the API server, so that no Secret is cached.
	secrets client.Reader
	// userAgent is sent to registries.
	userAgent string
}

// Setup registers the OCIRepository reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := &Reconciler{rt: rt, storage: d.Storage, secrets: mgr.GetAPIReader(), userAgent: "ferry-source-controller"}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.OCIRepository{}, builder.WithPredicates(controller.Default())).
		Named(controllerName)
	if d.Options != nil {
		b = b.WithOptions(d.Options.ControllerOptions())
	}
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("failed to set up the %s controller: %w", controllerName, err)
	}
	return nil
}

// Reconcile hands one OCIRepository to the shared runtime with a fresh per-reconcile state.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}
