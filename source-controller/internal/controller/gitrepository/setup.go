// Package gitrepository reconciles GitRepository objects: it asks the remote for the
// reference, clones it only when it moved (or the spec asks for a different artifact), packs
// the tree with its ignore rules and included repositories into the artifact storage, and
// reports the artifact in the status.
package gitrepository

import (
	"context"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// includeIndexKey indexes GitRepositories by the names of the GitRepositories they include.
const includeIndexKey = ".spec.include.repository"

// Reconciler reconciles GitRepository objects.
type Reconciler struct {
	rt      *reconcile.Runtime
	storage *storage.Storage
}

// Setup registers the GitRepository reconciler, its index of includes and its watches with
// the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := &Reconciler{rt: rt, storage: d.Storage}
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &sourcev1.GitRepository{}, includeIndexKey, indexIncludes)
	if err != nil {
		return fmt.Errorf("failed to index GitRepository includes: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.GitRepository{}, builder.WithPredicates(controller.Default())).
		Watches(&sourcev1.GitRepository{}, handler.EnqueueRequestsFromMapFunc(r.includers),
			builder.WithPredicates(artifactChanged())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the GitRepository controller: %w", err)
	}
	return nil
}

// Reconcile runs one reconciliation of the GitRepository named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &pass{r: r}
	defer p.cleanup()
	return reconcile.Run(ctx, r.rt, p.kind(), req)
}

// kind describes the reconciliation of one pass: its steps share the pass's state.
func (p *pass) kind() *reconcile.Kind[*sourcev1.GitRepository] {
	newObj := func() *sourcev1.GitRepository { return &sourcev1.GitRepository{} }
	return sourcecontroller.Kind(sourcev1.GitRepositoryKind, newObj, p.r.storage, unsupportedFields, []reconcile.Step[*sourcev1.GitRepository]{
		{Name: "storage", Run: p.checkStorage},
		{Name: "validate", Run: p.validate},
		{Name: "credentials", Run: p.credentials},
		{Name: "include", Run: p.resolveIncludes},
		{Name: "fetch", Run: p.fetch},
		{Name: "verify", Run: p.verify},
		{Name: "artifact", Run: p.storeArtifact},
	})
}

// cleanup removes the pass's temporary directories.
func (p *pass) cleanup() {
	for _, dir := range p.tmp {
		_ = os.RemoveAll(dir)
	}
}

// indexIncludes returns the names of the GitRepositories obj includes.
func indexIncludes(o client.Object) []string {
	obj, ok := o.(*sourcev1.GitRepository)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(obj.Spec.Include))
	for _, incl := range obj.Spec.Include {
		names = append(names, incl.GitRepositoryRef.Name)
	}
	return names
}

// includers maps a GitRepository to the requests of the GitRepositories that include it.
func (r *Reconciler) includers(ctx context.Context, o client.Object) []ctrl.Request {
	var list sourcev1.GitRepositoryList
	err := r.rt.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{includeIndexKey: o.GetName()})
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "unable to list the GitRepositories including", "name", o.GetName())
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// artifactChanged passes updates that change a GitRepository's artifact, and deletions.
func artifactChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*sourcev1.GitRepository)
			n, ok2 := e.ObjectNew.(*sourcev1.GitRepository)
			if !ok1 || !ok2 {
				return false
			}
			return digestOf(o.Status.Artifact) != digestOf(n.Status.Artifact)
		},
	}
}
