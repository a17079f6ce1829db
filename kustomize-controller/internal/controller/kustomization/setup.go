// Package kustomization reconciles Kustomizations: it waits for dependencies, fetches the
// source's artifact (shared by digest), builds it with kustomize, substitutes variables,
// decrypts SOPS secrets, applies the objects in stages with server-side apply, records the
// inventory, prunes what left the source, waits for health and reports it all in one status
// patch.
package kustomization

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/kubeconfig"
	"github.com/ferry-gitops/ferry/shared/kustomize/build"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/source"
)

// ControllerName is the field manager and event source of the controller.
const ControllerName = "kustomize-controller"

// healthInterval is how often health checks poll the objects that are not ready yet.
const healthInterval = time.Second

// Options are the controller's settings from its command line.
type Options struct {
	// NoRemoteBases refuses kustomize bases fetched from remote URLs.
	NoRemoteBases bool
	// StrictSubstitution fails the build when a ${var} without a default has no value.
	StrictSubstitution bool
	// Cache shares the extracted artifacts.
	Cache *source.Cache
	// SOPSAgeSecret names a Secret (--sops-age-secret, in the controller's namespace) whose
	// age identities decrypt the SOPS documents of every Kustomization with decryption
	// provider sops, besides those of its own decryption Secret. Empty: none.
	SOPSAgeSecret types.NamespacedName
	// DefaultDecryptionServiceAccount (--default-decryption-service-account) is the
	// ServiceAccount, in each Kustomization's namespace, whose cloud identity decrypts the
	// KMS keys of the Kustomizations that name none in spec.decryption.serviceAccountName;
	// set, the controller's own cloud identity is never used for them. Empty: it is.
	DefaultDecryptionServiceAccount string
}

// Reconciler reconciles Kustomizations.
type Reconciler struct {
	rt      *reconcile.Runtime
	opts    Options
	shared  *manager.Options
	reader  client.Reader // uncached, for Secrets and ConfigMaps
	config  *rest.Config
	scheme  *runtime.Scheme
	mapper  ctrlMapper
	clients *clientCache
	// kubeconfigs builds the configurations of the remote clusters of spec.kubeConfig.
	kubeconfigs *kubeconfig.Loader
	waits       *waits
	// builds keeps each Kustomization's last build, reused while its artifact and spec stay.
	builds *build.Cache
	// observed remembers the objects applied, so that an unchanged one is not read again.
	observed *apply.Observed
	deps     dependency.Set
	// objectLevel is the feature gate ObjectLevelWorkloadIdentity: the cloud identity of
	// spec.decryption.serviceAccountName (or --default-decryption-service-account) decrypts.
	objectLevel bool
}

// sourceKinds are the kinds a Kustomization may take its artifact from.
var sourceKinds = sourceref.Kinds{
	sourcev1.GitRepositoryKind: func() sourceref.Source { return &sourcev1.GitRepository{} },
	sourcev1.OCIRepositoryKind: func() sourceref.Source { return &sourcev1.OCIRepository{} },
	sourcev1.BucketKind:        func() sourceref.Source { return &sourcev1.Bucket{} },
	// ExternalArtifact is written by another controller (an ArtifactGenerator's, say).
	sourcev1.ExternalArtifactKind: func() sourceref.Source { return &sourcev1.ExternalArtifact{} },
}

// buildCacheBytes bounds the compressed builds kept for reuse: 2,000 Kustomizations of a few
// objects each take about 2 MiB.
const buildCacheBytes = 32 << 20

// observedObjects bounds the applied objects remembered (about 150 bytes each): 50,000 are
// 10,000 Kustomizations of 5 objects.
const observedObjects = 50_000

// Setup registers the Kustomization reconciler, its indexes and its watches with mgr.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, shared *manager.Options, opts Options) error {
	r := &Reconciler{
		rt: rt, opts: opts, shared: shared,
		reader: mgr.GetAPIReader(), config: mgr.GetConfig(), scheme: mgr.GetScheme(), mapper: mgr.GetRESTMapper(),
		clients: newClientCache(clientCacheSize), waits: newWaits(), builds: build.NewCache(buildCacheBytes),
		observed: apply.NewObserved(observedObjects),
		kubeconfigs: &kubeconfig.Loader{Reader: mgr.GetAPIReader(), Client: mgr.GetClient(), Tokens: shared.Tokens(),
			DefaultServiceAccount: shared.DefaultKubeConfigServiceAccount},
		deps:        dependency.Appliers(dependency.Kustomizations, shared.FeatureGate(dependency.AdditiveGate)),
		objectLevel: shared.FeatureGate(cloud.ObjectLevelWorkloadIdentity),
	}
	ctx := context.Background()
	if err := dependency.SetupIndex(ctx, mgr, &kustomizev1.Kustomization{}, kustomizev1.KustomizationKind); err != nil {
		return err
	}
	err := sourceref.SetupIndex(ctx, mgr, &kustomizev1.Kustomization{}, func(o client.Object) []sourceref.Ref {
		return []sourceref.Ref{sourceOf(o.(*kustomizev1.Kustomization))}
	})
	if err != nil {
		return err
	}
	newList := func() client.ObjectList { return &kustomizev1.KustomizationList{} }
	b := ctrl.NewControllerManagedBy(mgr).
		For(&kustomizev1.Kustomization{}, builder.WithPredicates(controller.Default())).
		Watches(&kustomizev1.Kustomization{}, handler.Funcs{UpdateFunc: r.cancelObsoleteWait}).
		WithOptions(shared.ControllerOptions()).
		Named("kustomization")
	b = dependency.Watch(b, mgr, r.deps, newList, appliedRevisionChanged)
	b = sourceref.Watch(b, mgr.GetClient(), sourceKinds, newList, r.supersede)
	if err := b.Complete(ctrlreconcile.Func(r.Reconcile)); err != nil {
		return fmt.Errorf("failed to set up the Kustomization controller: %w", err)
	}
	return nil
}

// Reconcile reconciles one Kustomization through the shared runtime.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r, start: time.Now()}
	defer st.releaseArtifact()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// sourceOf is obj's source, its namespace defaulted to obj's.
func sourceOf(obj *kustomizev1.Kustomization) sourceref.Ref {
	ref := sourceref.Ref{Kind: obj.Spec.SourceRef.Kind, Namespace: obj.Spec.SourceRef.Namespace, Name: obj.Spec.SourceRef.Name}
	if ref.Namespace == "" {
		ref.Namespace = obj.Namespace
	}
	return ref
}

// supersede cancels the running health check of a Kustomization whose source has a new
// artifact: the new revision supersedes the one being checked.
func (r *Reconciler) supersede(_ context.Context, src client.Object, req ctrl.Request) {
	if s, ok := src.(sourcev1.Source); ok && s.GetArtifact() != nil {
		r.waits.cancelUnless(req.NamespacedName, s.GetArtifact().Revision)
	}
}

// cancelObsoleteWait cancels the running health check of a Kustomization that is being
// deleted or whose spec changed: its deletion (or the next reconcile) must not wait up to
// spec.timeout for a check whose outcome no longer matters. The For watch enqueues it.
func (r *Reconciler) cancelObsoleteWait(_ context.Context, e event.UpdateEvent, _ workqueue.TypedRateLimitingInterface[ctrl.Request]) {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return
	}
	deleted := e.ObjectNew.GetDeletionTimestamp() != nil && e.ObjectOld.GetDeletionTimestamp() == nil
	if deleted || e.ObjectNew.GetGeneration() != e.ObjectOld.GetGeneration() {
		r.waits.cancel(client.ObjectKeyFromObject(e.ObjectNew))
	}
}

// appliedRevisionChanged reports whether an update of a Kustomization changes its last
// applied revision: dependents on the same source wait for it, and it may stay Ready
// throughout.
func appliedRevisionChanged(old, cur client.Object) bool {
	o, ok1 := old.(*kustomizev1.Kustomization)
	n, ok2 := cur.(*kustomizev1.Kustomization)
	return ok1 && ok2 && o.Status.LastAppliedRevision != n.Status.LastAppliedRevision
}
