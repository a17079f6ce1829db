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
	"github.com/ferry-gitops/ferry/shared/kubeconfig"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// Reconciler reconciles HelmReleases.
type Reconciler struct {
	// rt is the shared reconcile runtime; its client reads HelmReleases and their sources
	// from the cache and writes them.
	rt *reconcile.Runtime
	// apiReader reads ConfigMaps and Secrets directly, so that they are never cached.
	apiReader client.Reader
	// restCfg is the controller's own cluster configuration.
	restCfg *rest.Config
	// charts downloads and loads chart artifacts.
	charts *chart.Loader
	// actions shares Helm's clients between releases of one identity.
	actions *action.Cache
	// kubeconfigs builds the configurations of the remote clusters of spec.kubeConfig.
	kubeconfigs *kubeconfig.Loader
	// defaultServiceAccount is impersonated when a HelmRelease names none.
	defaultServiceAccount string
	// noCrossNamespaceRefs refuses sources in another namespace.
	noCrossNamespaceRefs bool
	// deps are the kinds a HelmRelease may depend on.
	deps dependency.Set
	// defaults say what unset fields mean.
	defaults defaults
}

// chartSources are the kinds a HelmRelease takes its chart from: its own HelmChart (of
// spec.chart) or the one spec.chartRef names, or an OCIRepository or ExternalArtifact of
// spec.chartRef.
var chartSources = sourceref.Kinds{
	sourcev1.HelmChartKind:        func() sourceref.Source { return &sourcev1.HelmChart{} },
	sourcev1.OCIRepositoryKind:    func() sourceref.Source { return &sourcev1.OCIRepository{} },
	sourcev1.ExternalArtifactKind: func() sourceref.Source { return &sourcev1.ExternalArtifact{} },
}

// Setup registers the HelmRelease reconciler, its field indexes and its watches.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	r := &Reconciler{
		rt:        rt,
		apiReader: mgr.GetAPIReader(),
		restCfg:   mgr.GetConfig(),
		charts:    &chart.Loader{},
		actions:   action.NewCache(0),
		kubeconfigs: &kubeconfig.Loader{Reader: mgr.GetAPIReader(), Client: rt.Client, Tokens: o.Tokens(),
			DefaultServiceAccount: o.DefaultKubeConfigServiceAccount},
		defaultServiceAccount: o.DefaultServiceAccount,
		noCrossNamespaceRefs:  o.NoCrossNamespaceRefs,
		deps:                  dependency.Appliers(dependency.HelmReleases, o.FeatureGate(dependency.AdditiveGate)),
		defaults:              defaults{helm3: o.FeatureGate(UseHelm3DefaultsGate)},
	}
	ctx := context.Background()
	if err := dependency.SetupIndex(ctx, mgr, &helmv2.HelmRelease{}, helmv2.HelmReleaseKind); err != nil {
		return err
	}
	if err := sourceref.SetupIndex(ctx, mgr, &helmv2.HelmRelease{}, chartSource); err != nil {
		return err
	}
	if err := controller.Index(ctx, mgr, &helmv2.HelmRelease{}, valuesIndexKey, valuesKeys); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&helmv2.HelmRelease{}, builder.WithPredicates(controller.Default()))
	b = dependency.Watch(b, mgr, r.deps, newList, nil)
	b = sourceref.Watch(b, rt.Client, chartSources, newList, nil)
	// Only the metadata of ConfigMaps and Secrets is cached; their data is read directly.
	err := b.Watches(&corev1.ConfigMap{}, enqueueValuesUsers(rt.Client, "ConfigMap"), builder.OnlyMetadata).
		Watches(&corev1.Secret{}, enqueueValuesUsers(rt.Client, "Secret"), builder.OnlyMetadata).
		WithOptions(o.ControllerOptions()).
		Named("helmrelease").
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the HelmRelease controller: %w", err)
	}
	return nil
}

// Reconcile reconciles one HelmRelease.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// chartSource is the source obj takes its chart from: its chartRef, or the HelmChart of its
// template.
func chartSource(o client.Object) []sourceref.Ref {
	obj := o.(*helmv2.HelmRelease)
	if ref := obj.Spec.ChartRef; ref != nil {
		return []sourceref.Ref{{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}}
	}
	if obj.Spec.Chart != nil {
		return []sourceref.Ref{{Kind: sourcev1.HelmChartKind, Namespace: obj.Spec.Chart.GetNamespace(obj.Namespace),
			Name: obj.GetHelmChartName()}}
	}
	return nil
}

// valuesIndexKey is the field index of the "<kind>/<namespace>/<name>" of the ConfigMaps and
// Secrets in a HelmRelease's spec.valuesFrom.
const valuesIndexKey = ".spec.valuesFrom"

// valuesKeys returns the valuesIndexKey keys of a HelmRelease.
func valuesKeys(o client.Object) []string {
	obj := o.(*helmv2.HelmRelease)
	keys := make([]string, 0, len(obj.Spec.ValuesFrom))
	for _, ref := range obj.Spec.ValuesFrom {
		keys = append(keys, ref.Kind+"/"+obj.Namespace+"/"+ref.Name)
	}
	return keys
}

// enqueueValuesUsers maps a ConfigMap or Secret (kind) to the HelmReleases whose
// spec.valuesFrom names it.
func enqueueValuesUsers(c client.Reader, kind string) handler.EventHandler {
	return controller.EnqueueIndexed(c, newList, valuesIndexKey, func(o client.Object) string {
		return kind + "/" + o.GetNamespace() + "/" + o.GetName()
	}, nil)
}

func newHelmRelease() *helmv2.HelmRelease { return &helmv2.HelmRelease{} }

func newList() client.ObjectList { return &helmv2.HelmReleaseList{} }
