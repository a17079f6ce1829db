// Package imagepolicy reconciles ImagePolicy objects: it reads the tags of the policy's
// ImageRepository from the tag store (never from the registry), elects the latest by the
// policy's filter and order, looks its digest up when spec.digestReflectionPolicy asks, and
// reports it in status.latestRef. A policy is evaluated again as soon as its repository's
// tags change (a watch), not on an interval of its own.
package imagepolicy

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// repositoryIndexKey indexes ImagePolicies by "<namespace>/<name>" of their ImageRepository.
const repositoryIndexKey = ".spec.imageRepositoryRef"

// Reconciler reconciles ImagePolicy objects.
type Reconciler struct {
	rt   *reconcile.Runtime
	deps *imagecontroller.Deps
}

// Setup registers the ImagePolicy reconciler, its index of repositories and its watch of
// ImageRepositories with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *imagecontroller.Deps) error {
	r := &Reconciler{rt: rt, deps: d}
	err := controller.Index(context.Background(), mgr, &imagev1.ImagePolicy{}, repositoryIndexKey, func(o client.Object) []string {
		if p, ok := o.(*imagev1.ImagePolicy); ok {
			return []string{repositoryKey(p)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	policies := controller.EnqueueIndexed(mgr.GetClient(), func() client.ObjectList { return &imagev1.ImagePolicyList{} },
		repositoryIndexKey, func(o client.Object) string { return o.GetNamespace() + "/" + o.GetName() }, nil)
	err = ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImagePolicy{}, builder.WithPredicates(controller.Default())).
		Watches(&imagev1.ImageRepository{}, policies, builder.WithPredicates(tagsChanged())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the %s controller: %w", imagev1.ImagePolicyKind, err)
	}
	return nil
}

// Reconcile hands one ImagePolicy to the shared runtime with a fresh per-reconcile state.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// repositoryKey is "<namespace>/<name>" of the policy's ImageRepository.
func repositoryKey(p *imagev1.ImagePolicy) string {
	ns := p.Spec.ImageRepositoryRef.Namespace
	if ns == "" {
		ns = p.Namespace
	}
	return ns + "/" + p.Spec.ImageRepositoryRef.Name
}

// tagsChanged passes the ImageRepository events its policies react to: its creation and
// deletion, a new set of tags (lastScanResult.revision), and a new spec (accessFrom, image).
func tagsChanged() predicate.Predicate {
	return controller.Lifecycle(func(o, n *imagev1.ImageRepository) bool {
		return revision(o) != revision(n) || o.Generation != n.Generation
	})
}

// revision is the repository's lastScanResult.revision, or "".
func revision(repo *imagev1.ImageRepository) string {
	if repo.Status.LastScanResult == nil {
		return ""
	}
	return repo.Status.LastScanResult.Revision
}
