// Package artifactgenerator reconciles ArtifactGenerator objects (Flux's source-watcher API,
// reconciled inside source-controller): it reads the artifacts of the generator's sources,
// composes each artifact of spec.artifacts (with spec.pathPattern, each instance of them for a
// directory of the source the pattern matches) from their files with the copy operations,
// stores it in source-controller's storage and publishes it as an ExternalArtifact of the
// artifact's name, owned by the generator; ExternalArtifacts no longer generated are deleted.
package artifactgenerator

import (
	"context"
	"fmt"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// sourceKinds are the kinds a generator reads artifacts from.
var sourceKinds = sourceref.Kinds{
	sourcev1.GitRepositoryKind:    func() sourceref.Source { return &sourcev1.GitRepository{} },
	sourcev1.OCIRepositoryKind:    func() sourceref.Source { return &sourcev1.OCIRepository{} },
	sourcev1.BucketKind:           func() sourceref.Source { return &sourcev1.Bucket{} },
	sourcev1.HelmChartKind:        func() sourceref.Source { return &sourcev1.HelmChart{} },
	sourcev1.ExternalArtifactKind: func() sourceref.Source { return &sourcev1.ExternalArtifact{} },
}

// Reconciler reconciles ArtifactGenerator objects.
type Reconciler struct {
	rt *reconcile.Runtime
	// artifacts stores the artifacts of the generated ExternalArtifacts.
	artifacts *sourcecontroller.Artifacts[*sourcev1.ExternalArtifact]
	// downloads fetches the artifacts of the sources.
	downloads *http.Client
	// noCrossNamespaceRefs is --no-cross-namespace-refs.
	noCrossNamespaceRefs bool
}

// Setup registers the ArtifactGenerator reconciler with the manager: it watches generators,
// the sources they read (a new artifact composes the generator's artifacts again) and the
// ExternalArtifacts they own (one deleted by hand is published again).
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := &Reconciler{rt: rt, downloads: &http.Client{Timeout: 5 * time.Minute}, noCrossNamespaceRefs: d.Options.NoCrossNamespaceRefs,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.ExternalArtifactKind, d.Storage,
			func(obj *sourcev1.ExternalArtifact) (**fluxmeta.Artifact, *string) { return &obj.Status.Artifact, nil })}
	if err := sourceref.SetupIndex(context.Background(), mgr, &sourceextv1beta1.ArtifactGenerator{}, sourcesOf); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sourceextv1beta1.ArtifactGenerator{}, builder.WithPredicates(predicate.Or(controller.Default(), controller.AnnotationChanged(sourceextv1beta1.ReconcileAnnotation)))).
		Owns(&sourcev1.ExternalArtifact{}, builder.WithPredicates(controller.Deleted())).
		WithOptions(d.Options.ControllerOptions())
	b = sourceref.Watch(b, rt.Client, sourceKinds, func() client.ObjectList { return &sourceextv1beta1.ArtifactGeneratorList{} }, nil)
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("failed to set up the ArtifactGenerator controller: %w", err)
	}
	return nil
}

// Reconcile runs one reconciliation of the ArtifactGenerator named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// sourcesOf returns the sources o reads, for the index.
func sourcesOf(o client.Object) []sourceref.Ref {
	obj, ok := o.(*sourceextv1beta1.ArtifactGenerator)
	if !ok {
		return nil
	}
	refs := make([]sourceref.Ref, 0, len(obj.Spec.Sources))
	for _, s := range obj.Spec.Sources {
		refs = append(refs, sourceref.Ref{Kind: s.Kind, Namespace: s.Namespace, Name: s.Name})
	}
	return refs
}
