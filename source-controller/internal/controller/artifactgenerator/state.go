package artifactgenerator

import (
	"os"
	"time"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	"github.com/ferry-gitops/ferry/source-controller/internal/generator"
)

// scope is the reconcile scope of an ArtifactGenerator.
type scope = reconcile.Scope[*sourceextv1beta1.ArtifactGenerator]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
	// sources are the source objects, by alias.
	sources map[string]sourceref.Source
	// digest is the digest of the sources' artifacts (status.observedSourcesDigest).
	digest string
	// upToDate is set when the published artifacts were composed from these sources and
	// this spec, and are all in the storage: nothing is fetched or composed again.
	upToDate bool
	// tmp holds the fetched sources and the composed artifacts.
	tmp string
	// artifacts are the artifacts to publish: spec.artifacts, or their instances for the
	// directories spec.pathPattern matches; when upToDate, those of the inventory, by name.
	artifacts []generator.Artifact
	// composed are the directories of the composed artifacts, in the order of artifacts.
	composed []string
	// inventory lists the ExternalArtifacts published in this reconcile.
	inventory []sourceextv1beta1.ExternalArtifactReference
}

// kind describes the reconcile of an ArtifactGenerator: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*sourceextv1beta1.ArtifactGenerator] {
	return &reconcile.Kind[*sourceextv1beta1.ArtifactGenerator]{
		Name:        sourceextv1beta1.ArtifactGeneratorKind,
		New:         func() *sourceextv1beta1.ArtifactGenerator { return &sourceextv1beta1.ArtifactGenerator{} },
		Finalizer:   sourceextv1beta1.Finalizer,
		Unsupported: unsupportedFields,
		Steps: []reconcile.Step[*sourceextv1beta1.ArtifactGenerator]{
			{Name: "validate", Run: st.validate},
			{Name: "sources", Run: st.resolveSources},
			{Name: "compose", Run: st.compose},
			{Name: "publish", Run: st.publish},
			{Name: "prune", Run: st.prune},
		},
		Finalize: st.finalize,
		Interval: func(obj *sourceextv1beta1.ArtifactGenerator) time.Duration { return obj.GetRequeueAfter() },
	}
}

// close removes the reconcile's temporary directory.
func (st *state) close() {
	if st.tmp != "" {
		_ = os.RemoveAll(st.tmp)
	}
}
