// Package imageupdateautomation reconciles ImageUpdateAutomation objects: it keeps a clone
// of the GitRepository's remote per automation, fetches only what is new, rewrites the
// fields marked for the ImagePolicies it selects in the Git objects of the checked-out
// commit, commits with the message template and pushes — fast-forward to the checkout
// branch (re-applied on a fresh head when someone pushed meanwhile), or force-with-lease to
// a separate push branch rebuilt on the checkout head. It runs when an ImagePolicy of its
// namespace elects another image, when its GitRepository changes, and on its interval;
// a run that finds the same remote head and the same images does nothing.
package imageupdateautomation

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/workspace"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// namespaceIndexKey indexes automations by their namespace, the namespace of the
// ImagePolicies they may select.
const namespaceIndexKey = ".metadata.namespace"

// sourceKinds are the sources an automation may name.
var sourceKinds = sourceref.Kinds{
	sourcev1.GitRepositoryKind: func() sourceref.Source { return &sourcev1.GitRepository{} },
}

// Reconciler reconciles ImageUpdateAutomation objects.
type Reconciler struct {
	rt    *reconcile.Runtime
	store *workspace.Store
	// reader reads Secrets straight from the API server, so that none is cached.
	reader               client.Reader
	noCrossNamespaceRefs bool
	// tokens caches the Entra ID tokens of a GitRepository's spec.provider azure and the AWS
	// CodeCommit logins of its spec.provider aws.
	tokens *cloud.Cache
	// objectLevel is the feature gate ObjectLevelWorkloadIdentity: a GitRepository's
	// spec.serviceAccountName with provider aws or azure pushes with that ServiceAccount's
	// identity.
	objectLevel bool
	// defaultSA is --default-service-account: the ServiceAccount whose cloud identity pushes
	// to a GitRepository of provider aws or azure that names none, never the controller's.
	defaultSA string
}

// Setup registers the ImageUpdateAutomation reconciler with the manager, with the watches
// that wake an automation when an ImagePolicy of its namespace elects another image and
// when its GitRepository changes. Clones are kept in store.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options, store *workspace.Store) error {
	r := &Reconciler{rt: rt, store: store, reader: mgr.GetAPIReader(), noCrossNamespaceRefs: o.NoCrossNamespaceRefs, tokens: o.Tokens(),
		objectLevel: o.FeatureGate(cloud.ObjectLevelWorkloadIdentity), defaultSA: o.DefaultServiceAccount}
	ctx := context.Background()
	if err := sourceref.SetupIndex(ctx, mgr, &imagev1.ImageUpdateAutomation{}, sourceRefs); err != nil {
		return err
	}
	err := controller.Index(ctx, mgr, &imagev1.ImageUpdateAutomation{}, namespaceIndexKey, func(o client.Object) []string {
		return []string{o.GetNamespace()}
	})
	if err != nil {
		return err
	}
	newList := func() client.ObjectList { return &imagev1.ImageUpdateAutomationList{} }
	policies := controller.EnqueueIndexed(mgr.GetClient(), newList, namespaceIndexKey,
		func(o client.Object) string { return o.GetNamespace() }, nil)
	b := ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImageUpdateAutomation{}, builder.WithPredicates(controller.Default())).
		Watches(&imagev1.ImagePolicy{}, policies, builder.WithPredicates(latestChanged())).
		WithOptions(o.ControllerOptions())
	b = sourceref.Watch(b, mgr.GetClient(), sourceKinds, newList, nil)
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("failed to set up the %s controller: %w", imagev1.ImageUpdateAutomationKind, err)
	}
	return nil
}

// Reconcile runs one reconciliation of the ImageUpdateAutomation named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// sourceRefs returns the GitRepository an automation names, for the index.
func sourceRefs(o client.Object) []sourceref.Ref {
	obj, ok := o.(*imagev1.ImageUpdateAutomation)
	if !ok {
		return nil
	}
	ref := obj.Spec.SourceRef
	return []sourceref.Ref{{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}}
}
