package kustomization

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// source resolves spec.sourceRef and holds its artifact, extracted, for the build. A source
// that is missing or has no artifact yet is waited for: its watch wakes the Kustomization.
func (st *state) source(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	src, res := st.r.getSource(ctx, s)
	if !res.IsDone() {
		return res
	}
	a := src.GetArtifact()
	if a == nil {
		return reconcile.Waiting(meta.ArtifactFailedReason,
			fmt.Errorf("Source '%s' is not ready, artifact not found", sourceName(obj)))
	}
	if res := st.r.dependenciesAt(ctx, s, a.Revision); !res.IsDone() {
		return res
	}
	s.SetRevision(a.Revision)
	if origin := a.Metadata["org.opencontainers.image.revision"]; origin != "" {
		s.SetMetadata("originRevision", origin)
	}
	obj.Status.LastAttemptedRevision = a.Revision
	st.artifact = a
	h, err := st.r.opts.Cache.Acquire(ctx, a)
	if err != nil {
		return reconcile.Transient(meta.ArtifactFailedReason, err)
	}
	st.handle = h
	return reconcile.Done("", "")
}

// getSource reads the source object, refusing kinds a Kustomization cannot use and, with
// --no-cross-namespace-refs, sources in other namespaces.
func (r *Reconciler) getSource(ctx context.Context, s *scope) (sourcev1.Source, reconcile.Result) {
	obj := s.Obj
	ref := obj.Spec.SourceRef
	ns := ref.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	if r.shared.NoCrossNamespaceRefs && ns != obj.Namespace {
		return nil, reconcile.Stalled(meta.AccessDeniedReason,
			fmt.Errorf("cannot access %s/%s/%s, cross-namespace references have been disabled", ref.Kind, ns, ref.Name))
	}
	var src sourcev1.Source
	for _, k := range sourceKinds {
		if k.name == ref.Kind {
			src = k.new()
		}
	}
	if src == nil {
		return nil, reconcile.Stalled(meta.UnsupportedSpecReason,
			fmt.Errorf("source kind '%s' is not supported: use GitRepository, OCIRepository or Bucket", ref.Kind))
	}
	if err := s.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, src); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, reconcile.Waiting(meta.ArtifactFailedReason, fmt.Errorf("Source '%s' not found", sourceName(obj)))
		}
		return nil, reconcile.Transient(meta.ArtifactFailedReason, fmt.Errorf("failed to get source '%s': %w", sourceName(obj), err))
	}
	return src, reconcile.Done("", "")
}

// dependenciesAt waits, as Flux does, until every dependency that takes its artifact from the
// same source has applied revision: the order dependsOn asks for then holds for each new
// revision too, not only for the first. The dependencies step has already checked that they
// are Ready.
func (r *Reconciler) dependenciesAt(ctx context.Context, s *scope, revision string) reconcile.Result {
	obj := s.Obj
	for _, d := range obj.Spec.DependsOn {
		nn := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		if nn.Namespace == "" {
			nn.Namespace = obj.Namespace
		}
		var dep kustomizev1.Kustomization
		if err := s.Client.Get(ctx, nn, &dep); err != nil {
			if apierrors.IsNotFound(err) {
				return reconcile.Waiting(meta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' not found", nn))
			}
			return reconcile.Transient(meta.DependencyNotReadyReason, fmt.Errorf("failed to get dependency '%s': %w", nn, err))
		}
		if sourceKey(&dep) == sourceKey(obj) && dep.Status.LastAppliedRevision != revision {
			return reconcile.Waiting(meta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' revision is not up to date", nn))
		}
	}
	return reconcile.Done("", "")
}

// sourceName is Kind/namespace/name of obj's source.
func sourceName(obj *kustomizev1.Kustomization) string {
	ref := obj.Spec.SourceRef
	if ref.Namespace == "" {
		ref.Namespace = obj.Namespace
	}
	return ref.String()
}
