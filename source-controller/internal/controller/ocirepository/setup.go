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

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// userAgent is sent to registries.
const userAgent = "ferry-source-controller"

// Reconciler reconciles OCIRepository objects.
type Reconciler struct {
	rt        *reconcile.Runtime
	artifacts *sourcecontroller.Artifacts[*sourcev1.OCIRepository]
	// secrets reads Secrets straight from the API server, so that no Secret is cached.
	secrets client.Reader
	// tokens caches the cloud logins of spec.provider aws, azure and gcp.
	tokens *cloud.Cache
	// objectLevel is the feature gate ObjectLevelWorkloadIdentity: spec.serviceAccountName
	// with a cloud provider logs in with that ServiceAccount's identity.
	objectLevel bool
	// defaultSA is --default-service-account: the ServiceAccount whose cloud identity the
	// objects naming none log in with (cloud.ServiceAccountName), never the controller's.
	defaultSA string
}

// Setup registers the OCIRepository reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := newReconciler(rt, mgr.GetAPIReader(), d)
	err := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.OCIRepository{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the OCIRepository controller: %w", err)
	}
	return nil
}

// newReconciler returns the reconciler of the OCIRepositories, reading Secrets and
// ServiceAccounts with secrets and storing into d.Storage.
func newReconciler(rt *reconcile.Runtime, secrets client.Reader, d *sourcecontroller.Deps) *Reconciler {
	return &Reconciler{rt: rt, secrets: secrets, tokens: d.Options.Tokens(),
		objectLevel: d.Options.FeatureGate(cloud.ObjectLevelWorkloadIdentity),
		defaultSA:   d.Options.DefaultServiceAccount,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.OCIRepositoryKind, d.Storage,
			func(obj *sourcev1.OCIRepository) (**fluxmeta.Artifact, *string) {
				return &obj.Status.Artifact, &obj.Status.URL
			})}
}

// Reconcile runs one reconciliation of the OCIRepository named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}
