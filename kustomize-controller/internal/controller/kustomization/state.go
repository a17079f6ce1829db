package kustomization

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/source"
)

// scope is the shorthand of the runtime's per-reconcile scope for Kustomizations.
type scope = reconcile.Scope[*kustomizev1.Kustomization]

// state carries what one reconcile's steps hand to each other.
type state struct {
	r        *Reconciler
	start    time.Time
	artifact *fluxmeta.Artifact
	handle   *source.Handle
	target   *target
	objects  []*unstructured.Unstructured
	digest   string
	changes  *apply.ChangeSet
	pruned   *apply.ChangeSet
}

// kind describes the steps of one reconcile, bound to st.
func (st *state) kind() *reconcile.Kind[*kustomizev1.Kustomization] {
	return &reconcile.Kind[*kustomizev1.Kustomization]{
		Name:        kustomizev1.KustomizationKind,
		New:         newKustomization,
		Finalizer:   kustomizev1.KustomizationFinalizer,
		Unsupported: unsupportedFields,
		Steps: []reconcile.Step[*kustomizev1.Kustomization]{
			{Name: "dependencies", Run: st.dependencies},
			{Name: "source", Run: st.source},
			{Name: "build", Run: st.build},
			{Name: "apply", Run: st.apply},
			{Name: "prune", Run: st.prune},
			{Name: "health", Run: st.health},
			{Name: "status", Run: st.finish},
		},
		Finalize:      st.finalize,
		Interval:      func(obj *kustomizev1.Kustomization) time.Duration { return obj.Spec.Interval.Duration },
		RetryInterval: func(obj *kustomizev1.Kustomization) time.Duration { return obj.GetRetryInterval() },
		Summarized:    st.record,
	}
}

func newKustomization() *kustomizev1.Kustomization { return &kustomizev1.Kustomization{} }

// dependencies waits until every Kustomization and HelmRelease in spec.dependsOn is ready.
func (st *state) dependencies(ctx context.Context, s *scope) reconcile.Result {
	return dependency.Check(ctx, s.Client, s.Obj, st.r.deps)
}

// releaseArtifact lets the cache reclaim the artifact once the reconcile is over.
func (st *state) releaseArtifact() {
	if st.handle != nil {
		st.handle.Release()
		st.handle = nil
	}
}
