// Package gitrepository reconciles GitRepository objects: it asks the remote for the
// reference, clones it only when it moved (or the spec asks for a different artifact), packs
// the tree with its ignore rules and included repositories into the artifact storage, and
// reports the artifact in the status.
package gitrepository

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
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// Reconciler reconciles GitRepository objects.
type Reconciler struct {
	rt        *reconcile.Runtime
	artifacts *sourcecontroller.Artifacts[*sourcev1.GitRepository]
	// tokens caches the Entra ID tokens of spec.provider azure and the AWS CodeCommit logins
	// of spec.provider aws.
	tokens *cloud.Cache
	// reader reads ServiceAccounts (spec.serviceAccountName) without caching them.
	reader client.Reader
	// objectLevel is the feature gate ObjectLevelWorkloadIdentity: spec.serviceAccountName
	// with spec.provider aws or azure uses that ServiceAccount's identity.
	objectLevel bool
	// defaultSA is --default-service-account: the ServiceAccount whose cloud identity the
	// objects naming none log in with (cloud.ServiceAccountName), never the controller's.
	defaultSA string
}

// Setup registers the GitRepository reconciler with the manager, with the index from a
// GitRepository to those it includes and the watch that reconciles it when one of them
// changes its artifact.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := newReconciler(rt, d)
	r.reader = mgr.GetAPIReader()
	if err := sourceref.SetupIndex(context.Background(), mgr, &sourcev1.GitRepository{}, includes); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.GitRepository{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions())
	b = sourceref.Watch(b, rt.Client, sourceref.Kinds{
		sourcev1.GitRepositoryKind: func() sourceref.Source { return &sourcev1.GitRepository{} },
	}, func() client.ObjectList { return &sourcev1.GitRepositoryList{} }, nil)
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("failed to set up the GitRepository controller: %w", err)
	}
	return nil
}

// newReconciler returns the reconciler of the GitRepositories, storing into d.Storage.
func newReconciler(rt *reconcile.Runtime, d *sourcecontroller.Deps) *Reconciler {
	return &Reconciler{rt: rt, tokens: d.Options.Tokens(), reader: rt.Client,
		objectLevel: d.Options.FeatureGate(cloud.ObjectLevelWorkloadIdentity), defaultSA: d.Options.DefaultServiceAccount,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.GitRepositoryKind, d.Storage,
			func(obj *sourcev1.GitRepository) (**fluxmeta.Artifact, *string) { return &obj.Status.Artifact, nil })}
}

// Reconcile runs one reconciliation of the GitRepository named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// includes returns the GitRepositories o includes, for the index.
func includes(o client.Object) []sourceref.Ref {
	obj, ok := o.(*sourcev1.GitRepository)
	if !ok {
		return nil
	}
	refs := make([]sourceref.Ref, 0, len(obj.Spec.Include))
	for _, incl := range obj.Spec.Include {
		refs = append(refs, sourceref.Ref{Kind: sourcev1.GitRepositoryKind, Name: incl.GitRepositoryRef.Name})
	}
	return refs
}
