package imagepolicy

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// repository reads the policy's ImageRepository. One in another namespace is read only when
// cross-namespace references are allowed (--no-cross-namespace-refs) and its
// spec.accessFrom selects the policy's namespace. A repository that is missing or not
// scanned yet is waited for: its watch wakes the policy.
func (st *state) repository(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ref := obj.Spec.ImageRepositoryRef
	ns := ref.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	id := fmt.Sprintf("%s/%s", ns, ref.Name)
	if ns != obj.Namespace && st.r.deps.Options.NoCrossNamespaceRefs {
		return reconcile.Stalled(fluxmeta.AccessDeniedReason,
			fmt.Errorf("cannot access ImageRepository '%s': cross-namespace references have been disabled", id))
	}
	repo := &imagev1.ImageRepository{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, repo); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("ImageRepository '%s' not found", id))
		}
		return reconcile.Transient(fluxmeta.DependencyNotReadyReason, fmt.Errorf("failed to get ImageRepository '%s': %w", id, err))
	}
	if ns != obj.Namespace {
		if res := st.checkAccess(ctx, repo, obj.Namespace); !res.IsDone() {
			return res
		}
	}
	if revision(repo) == "" {
		return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("ImageRepository '%s' has not been scanned yet", id))
	}
	st.repo = repo
	return reconcile.Done("", "")
}

// checkAccess returns Done when repo's spec.accessFrom selects namespace.
func (st *state) checkAccess(ctx context.Context, repo *imagev1.ImageRepository, namespace string) reconcile.Result {
	id := repo.Namespace + "/" + repo.Name
	denied := fmt.Errorf("ImageRepository '%s' does not grant access to namespace '%s': its spec.accessFrom selects no such namespace", id, namespace)
	if repo.Spec.AccessFrom == nil || len(repo.Spec.AccessFrom.NamespaceSelectors) == 0 {
		return reconcile.Transient(fluxmeta.AccessDeniedReason, denied)
	}
	nsObj := &corev1.Namespace{}
	if err := st.r.deps.Reader.Get(ctx, client.ObjectKey{Name: namespace}, nsObj); err != nil {
		return reconcile.Transient(fluxmeta.AccessDeniedReason, fmt.Errorf("failed to get namespace '%s': %w", namespace, err))
	}
	for _, sel := range repo.Spec.AccessFrom.NamespaceSelectors {
		if labels.SelectorFromSet(sel.MatchLabels).Matches(labels.Set(nsObj.Labels)) {
			return reconcile.Done("", "")
		}
	}
	return reconcile.Transient(fluxmeta.AccessDeniedReason, denied)
}
