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
	"sigs.k8s.io/controller-runtime/pkg/handler"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

// Reconciler reconciles HelmChart objects.
type Reconciler struct {
	rt   *reconcile.Runtime
	deps *sourcectrl.Deps
	// secrets reads Secrets from the API server, so that they are not cached cluster-wide.
	secrets client.Reader
	// indexes holds the parsed indexes of the HelmRepositories, one per index digest.
	indexes *index.Cache
	// artifacts downloads the artifacts of GitRepositories and Buckets.
	artifacts *http.Client
	kind      *reconcile.Kind[*sourcev1.HelmChart]
}

// Setup registers the HelmChart reconciler with the manager: it watches HelmCharts and the
// sources they use, so that a new source artifact reconciles the charts built from it.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcectrl.Deps) error {
	r := &Reconciler{rt: rt, deps: d, secrets: mgr.GetAPIReader(), indexes: d.HelmIndexes(),
		artifacts: &http.Client{Timeout: 5 * time.Minute}}
	newObj := func() *sourcev1.HelmChart { return &sourcev1.HelmChart{} }
	r.kind = sourcectrl.Kind(sourcev1.HelmChartKind, newObj, d.Storage, unsupportedFields,
		[]reconcile.Step[*sourcev1.HelmChart]{{Name: "reconcile", Run: r.reconcile}})
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &sourcev1.HelmChart{}, sourcev1.SourceIndexKey,
		func(o client.Object) []string { return []string{sourceKey(o.(*sourcev1.HelmChart))} })
	if err != nil {
		return fmt.Errorf("failed to index HelmCharts by source: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmChart{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions())
	for kind, obj := range map[string]client.Object{
		sourcev1.HelmRepositoryKind: &sourcev1.HelmRepository{},
		sourcev1.GitRepositoryKind:  &sourcev1.GitRepository{},
		sourcev1.BucketKind:         &sourcev1.Bucket{},
	} {
		b = b.Watches(obj, r.enqueueCharts(kind), builder.WithPredicates(sourceref.ArtifactChanged()))
	}
	return b.Complete(r)
}

// Reconcile reconciles one HelmChart.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcile.Run(ctx, r.rt, r.kind, req)
}

// sourceKey is the "<kind>/<name>" of the source a chart uses (always in its namespace).
func sourceKey(obj *sourcev1.HelmChart) string {
	return obj.Spec.SourceRef.Kind + "/" + obj.Spec.SourceRef.Name
}

// enqueueCharts maps a source of the given kind to the HelmCharts using it.
func (r *Reconciler) enqueueCharts(kind string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, src client.Object) []ctrl.Request {
		var list sourcev1.HelmChartList
		err := r.rt.Client.List(ctx, &list, client.InNamespace(src.GetNamespace()),
			client.MatchingFields{sourcev1.SourceIndexKey: kind + "/" + src.GetName()})
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "failed to list the HelmCharts of a source", "kind", kind, "name", src.GetName())
			return nil
		}
		reqs := make([]ctrl.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return reqs
	})
}
