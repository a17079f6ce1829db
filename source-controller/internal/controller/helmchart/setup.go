// Package helmchart reconciles HelmChart objects: it resolves the chart from its source (a
// HelmRepository's index or OCI registry, or a chart directory in a GitRepository or Bucket
// artifact), merges the values files, packages the chart and stores it as the artifact,
// whose revision is the chart version.
package helmchart

import (
	"context"
	"fmt"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

// sourceKinds are the kinds a HelmChart takes its chart from.
var sourceKinds = sourceref.Kinds{
	sourcev1.HelmRepositoryKind: func() sourceref.Source { return &sourcev1.HelmRepository{} },
	sourcev1.GitRepositoryKind:  func() sourceref.Source { return &sourcev1.GitRepository{} },
	sourcev1.BucketKind:         func() sourceref.Source { return &sourcev1.Bucket{} },
}

// Reconciler reconciles HelmChart objects.
type Reconciler struct {
	rt        *reconcile.Runtime
	artifacts *sourcecontroller.Artifacts[*sourcev1.HelmChart]
	// secrets reads Secrets from the API server, so that they are not cached cluster-wide.
	secrets client.Reader
	// indexes holds the parsed indexes of the HelmRepositories, one per index digest.
	indexes *index.Cache
	// downloads fetches the artifacts of GitRepositories and Buckets.
	downloads *http.Client
	// limits bound what is read from repositories and charts.
	limits sourcecontroller.HelmLimits
	// noCrossNamespaceRefs is --no-cross-namespace-refs.
	noCrossNamespaceRefs bool
	// tokens caches the cloud logins of the spec.provider of OCI HelmRepositories.
	tokens *cloud.Cache
	// defaultSA is --default-service-account: the ServiceAccount, in the HelmRepository's
	// namespace, whose cloud identity logs in to its registry instead of the controller's.
	defaultSA string
}

// Setup registers the HelmChart reconciler with the manager: it watches HelmCharts and the
// sources they use, so that a new source artifact reconciles the charts built from it.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := &Reconciler{rt: rt, secrets: mgr.GetAPIReader(), indexes: d.HelmIndexes(), limits: d.Helm, tokens: d.Options.Tokens(),
		downloads: &http.Client{Timeout: 5 * time.Minute}, noCrossNamespaceRefs: d.Options.NoCrossNamespaceRefs,
		defaultSA: d.Options.DefaultServiceAccount,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.HelmChartKind, d.Storage,
			func(obj *sourcev1.HelmChart) (**fluxmeta.Artifact, *string) {
				return &obj.Status.Artifact, &obj.Status.URL
			})}
	if err := sourceref.SetupIndex(context.Background(), mgr, &sourcev1.HelmChart{}, sourceOf); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmChart{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions())
	b = sourceref.Watch(b, rt.Client, sourceKinds, func() client.ObjectList { return &sourcev1.HelmChartList{} }, nil)
	if err := b.Complete(r); err != nil {
		return fmt.Errorf("failed to set up the HelmChart controller: %w", err)
	}
	return nil
}

// Reconcile runs one reconciliation of the HelmChart named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// sourceOf returns the source o takes its chart from, for the index.
func sourceOf(o client.Object) []sourceref.Ref {
	obj, ok := o.(*sourcev1.HelmChart)
	if !ok {
		return nil
	}
	return []sourceref.Ref{{Kind: obj.Spec.SourceRef.Kind, Name: obj.Spec.SourceRef.Name}}
}
