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
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/source"
)

// ControllerName is the field manager and event source of the controller.
const ControllerName = "kustomize-controller"

// sourceIndexKey indexes Kustomizations by "<kind>/<namespace>/<name>" of their source.
const sourceIndexKey = ".spec.sourceRef"

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
	waits   *waits
}

// Setup registers the Kustomization reconciler, its indexes and its watches with mgr.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, shared *manager.Options, opts Options) error {
	r := &Reconciler{
		rt: rt, opts: opts, shared: shared,
		reader: mgr.GetAPIReader(), config: mgr.GetConfig(), scheme: mgr.GetScheme(), mapper: mgr.GetRESTMapper(),
		clients: newClientCache(), waits: newWaits(),
	}
	ctx := context.Background()
	if err := dependency.SetupIndex(ctx, mgr, &kustomizev1.Kustomization{}); err != nil {
		return err
	}
	err := mgr.GetFieldIndexer().IndexField(ctx, &kustomizev1.Kustomization{}, sourceIndexKey, func(o client.Object) []string {
		return []string{sourceKey(o.(*kustomizev1.Kustomization))}
	})
	if err != nil {
		return fmt.Errorf("failed to index Kustomizations by source: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&kustomizev1.Kustomization{}, builder.WithPredicates(controller.Default())).
		Watches(&kustomizev1.Kustomization{},
			dependency.EnqueueDependents(mgr.GetClient(), func() client.ObjectList { return &kustomizev1.KustomizationList{} }),
			builder.WithPredicates(predicate.Or(dependency.ReadinessChanged(), appliedRevisionChanged()))).
		WithOptions(controllerOptions(shared)).
		Named("kustomization")
	for _, kind := range sourceKinds {
		b = b.Watches(kind.new(), r.enqueueForSource(mgr.GetClient(), kind.name), builder.WithPredicates(artifactChanged()))
	}
	if err := b.Complete(ctrlreconcile.Func(r.Reconcile)); err != nil {
		return fmt.Errorf("failed to set up the Kustomization controller: %w", err)
	}
	return nil
}

// sourceKey is the index key of obj's source.
func sourceKey(obj *kustomizev1.Kustomization) string {
	ref := obj.Spec.SourceRef
	ns := ref.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	return ref.Kind + "/" + ns + "/" + ref.Name
}

// enqueueForSource maps a source to the Kustomizations that use it, and cancels their running
// health checks: a new revision supersedes them.
func (r *Reconciler) enqueueForSource(c client.Client, kind string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
		key := kind + "/" + o.GetNamespace() + "/" + o.GetName()
		var list kustomizev1.KustomizationList
		if err := c.List(ctx, &list, client.MatchingFields{sourceIndexKey: key}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "unable to list Kustomizations of a source", "source", key)
			return nil
		}
		revision := ""
		if src, ok := o.(sourcev1.Source); ok && src.GetArtifact() != nil {
			revision = src.GetArtifact().Revision
		}
		reqs := make([]ctrl.Request, 0, len(list.Items))
		for i := range list.Items {
			nn := client.ObjectKeyFromObject(&list.Items[i])
			r.waits.cancelUnless(nn, revision)
			reqs = append(reqs, ctrl.Request{NamespacedName: nn})
		}
		return reqs
	})
}

// artifactChanged passes a source's creation (a Kustomization may be waiting for it) and
// updates that change its artifact's revision or digest.
func artifactChanged() predicate.Predicate {
	artifactOf := func(o client.Object) (string, bool) {
		src, ok := o.(sourcev1.Source)
		if !ok || src.GetArtifact() == nil {
			return "", false
		}
		return src.GetArtifact().Revision + "@" + src.GetArtifact().Digest, true
	}
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, _ := artifactOf(e.ObjectOld)
			n, ok := artifactOf(e.ObjectNew)
			return ok && o != n
		},
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// appliedRevisionChanged passes updates of a Kustomization that change its last applied
// revision: dependents on the same source wait for it, and it may stay Ready throughout.
func appliedRevisionChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*kustomizev1.Kustomization)
			n, ok2 := e.ObjectNew.(*kustomizev1.Kustomization)
			return ok1 && ok2 && o.Status.LastAppliedRevision != n.Status.LastAppliedRevision
		},
	}
}

// sourceKinds are the kinds a Kustomization may take its artifact from.
var sourceKinds = []struct {
	name string
	new  func() sourcev1.Source
}{
	{sourcev1.GitRepositoryKind, func() sourcev1.Source { return &sourcev1.GitRepository{} }},
	{sourcev1.OCIRepositoryKind, func() sourcev1.Source { return &sourcev1.OCIRepository{} }},
	{sourcev1.BucketKind, func() sourcev1.Source { return &sourcev1.Bucket{} }},
}

// controllerOptions are the shared options; the name check is off so that tests and
// benchmarks can run several managers in one process.
func controllerOptions(shared *manager.Options) ctrlcontroller.Options {
	o := shared.ControllerOptions()
	skip := true
	o.SkipNameValidation = &skip
	return o
}
