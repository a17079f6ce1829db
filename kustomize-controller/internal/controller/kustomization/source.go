package kustomization

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// originRevisionKey is the artifact metadata key holding the revision of the source's origin.
const originRevisionKey = "org.opencontainers.image.revision"

// source resolves spec.sourceRef and holds its artifact, extracted, for the build. A source
// that is missing or has no artifact yet is waited for: its watch wakes the Kustomization.
func (st *state) source(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ref := sourceOf(obj)
	src, res := sourceref.Resolve(ctx, s.Client, obj, ref, sourceKinds, st.r.shared.NoCrossNamespaceRefs, fluxmeta.ArtifactFailedReason)
	if !res.IsDone() {
		return res
	}
	a := src.GetArtifact()
	if a == nil {
		return reconcile.Waiting(fluxmeta.ArtifactFailedReason, fmt.Errorf("Source '%s' is not ready, artifact not found", ref))
	}
	if res := dependenciesAt(ctx, s, st.r.deps, a.Revision); !res.IsDone() {
		return res
	}
	s.SetRevision(a.Revision)
	if origin := a.Metadata[originRevisionKey]; origin != "" {
		s.SetMetadata("originRevision", origin)
	}
	obj.Status.LastAttemptedRevision = a.Revision
	st.artifact = a
	h, err := st.r.opts.Cache.Acquire(ctx, a)
	if err != nil {
		return reconcile.Transient(fluxmeta.ArtifactFailedReason, err)
	}
	st.handle = h
	return reconcile.Done("", "")
}

// dependenciesAt waits, as Flux does, until every Kustomization dependency that takes its
// artifact from the same source has applied revision: the order dependsOn asks for then holds
// for each new revision too, not only for the first. The dependencies step has already
// checked that they are ready; a dependency whose readyExpr decides alone is not checked.
func dependenciesAt(ctx context.Context, s *scope, deps dependency.Set, revision string) reconcile.Result {
	obj := s.Obj
	for _, d := range obj.Spec.DependsOn {
		if (d.Kind != "" && d.Kind != kustomizev1.KustomizationKind) || !deps.BuiltIn(d) {
			continue
		}
		nn := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		if nn.Namespace == "" {
			nn.Namespace = obj.Namespace
		}
		var dep kustomizev1.Kustomization
		if err := s.Client.Get(ctx, nn, &dep); err != nil {
			if apierrors.IsNotFound(err) {
				return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' not found", nn))
			}
			return reconcile.Transient(fluxmeta.DependencyNotReadyReason, fmt.Errorf("failed to get dependency '%s': %w", nn, err))
		}
		if sourceOf(&dep) == sourceOf(obj) && dep.Status.LastAppliedRevision != revision {
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' revision is not up to date", nn))
		}
	}
	return reconcile.Done("", "")
}
