// Package helmrelease reconciles HelmReleases: it waits for their dependencies, gets their
// chart (through a HelmChart it owns, or a chartRef), composes their values, and installs,
// upgrades, tests and remediates the Helm release with the action engine, recording Flux's
// status, conditions and events.
package helmrelease

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	"github.com/ferry-gitops/ferry/helm-controller/internal/chart"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// Reconciler reconciles HelmReleases.
type Reconciler struct {
	// Runtime is the shared reconcile runtime.
	Runtime *reconcile.Runtime
	// Client reads HelmReleases and their sources from the cache and writes them.
	Client client.Client
	// APIReader reads ConfigMaps and Secrets directly, so that they are never cached.
	APIReader client.Reader
	// RESTConfig is the controller's own cluster configuration.
	RESTConfig *rest.Config
	// Charts downloads and loads chart artifacts.
	Charts *chart.Loader
	// Actions shares Helm's clients between releases of one identity.
	Actions *action.Cache
	// DefaultServiceAccount is impersonated when a HelmRelease names none.
	DefaultServiceAccount string
	// NoCrossNamespaceRefs refuses sources in another namespace.
	NoCrossNamespaceRefs bool
}

// Setup registers the HelmRelease reconciler, its field indexes and its watches.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	r := &Reconciler{
		Runtime:               rt,
		Client:                rt.Client,
		APIReader:             mgr.GetAPIReader(),
		RESTConfig:            mgr.GetConfig(),
		Charts:                &chart.Loader{},
		Actions:               action.NewCache(0),
		DefaultServiceAccount: o.DefaultServiceAccount,
		NoCrossNamespaceRefs:  o.NoCrossNamespaceRefs,
	}
	return r.SetupWithManager(mgr, o)
}

// SetupWithManager registers r with mgr.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, o *manager.Options) error {
	ctx := context.Background()
	if err := dependency.SetupIndex(ctx, mgr, &helmv2.HelmRelease{}); err != nil {
		return err
	}
	err := mgr.GetFieldIndexer().IndexField(ctx, &helmv2.HelmRelease{}, sourcev1.SourceIndexKey, func(o client.Object) []string {
		return []string{sourceKey(o.(*helmv2.HelmRelease))}
	})
	if err != nil {
		return fmt.Errorf("failed to index HelmReleases by source: %w", err)
	}
	err = mgr.GetFieldIndexer().IndexField(ctx, &helmv2.HelmRelease{}, valuesIndexKey, func(o client.Object) []string {
		return valuesKeys(o.(*helmv2.HelmRelease))
	})
	if err != nil {
		return fmt.Errorf("failed to index HelmReleases by values reference: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&helmv2.HelmRelease{}, builder.WithPredicates(controller.Default())).
		Watches(&helmv2.HelmRelease{}, dependency.EnqueueDependents(r.Client, newList),
			builder.WithPredicates(dependency.ReadinessChanged())).
		Watches(&sourcev1.HelmChart{}, r.enqueueUsers(sourcev1.SourceIndexKey, sourcev1.HelmChartKind),
			builder.WithPredicates(sourceref.ArtifactChanged())).
		Watches(&sourcev1.OCIRepository{}, r.enqueueUsers(sourcev1.SourceIndexKey, sourcev1.OCIRepositoryKind),
			builder.WithPredicates(sourceref.ArtifactChanged())).
		// Only the metadata of ConfigMaps and Secrets is cached; their data is read directly.
		Watches(&corev1.ConfigMap{}, r.enqueueUsers(valuesIndexKey, "ConfigMap"), builder.OnlyMetadata).
		Watches(&corev1.Secret{}, r.enqueueUsers(valuesIndexKey, "Secret"), builder.OnlyMetadata).
		WithOptions(o.ControllerOptions()).
		Named("helmrelease").
		Complete(r)
}

// Reconcile reconciles one HelmRelease.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.Runtime, st.kind(), req)
}

// valuesIndexKey is the field index of the "<kind>/<namespace>/<name>" of the ConfigMaps and
// Secrets in a HelmRelease's spec.valuesFrom.
const valuesIndexKey = ".spec.valuesFrom"

// valuesKeys returns the valuesIndexKey keys of obj.
func valuesKeys(obj *helmv2.HelmRelease) []string {
	keys := make([]string, 0, len(obj.Spec.ValuesFrom))
	for _, ref := range obj.Spec.ValuesFrom {
		keys = append(keys, ref.Kind+"/"+obj.Namespace+"/"+ref.Name)
	}
	return keys
}

// enqueueUsers maps an object of the given kind to the HelmReleases whose index entries
// name it.
func (r *Reconciler) enqueueUsers(index, kind string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
		var list helmv2.HelmReleaseList
		key := kind + "/" + o.GetNamespace() + "/" + o.GetName()
		if err := r.Client.List(ctx, &list, client.MatchingFields{index: key}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "unable to list HelmReleases using object", "object", key)
			return nil
		}
		reqs := make([]ctrl.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return reqs
	})
}

// sourceKey is the "<kind>/<namespace>/<name>" of the source obj takes its chart from: the
// HelmChart of its template, or its chartRef.
func sourceKey(obj *helmv2.HelmRelease) string {
	if ref := obj.Spec.ChartRef; ref != nil {
		ns := ref.Namespace
		if ns == "" {
			ns = obj.Namespace
		}
		return ref.Kind + "/" + ns + "/" + ref.Name
	}
	if obj.Spec.Chart != nil {
		return sourcev1.HelmChartKind + "/" + obj.Spec.Chart.GetNamespace(obj.Namespace) + "/" + obj.GetHelmChartName()
	}
	return ""
}

func newHelmRelease() *helmv2.HelmRelease { return &helmv2.HelmRelease{} }

func newList() client.ObjectList { return &helmv2.HelmReleaseList{} }
