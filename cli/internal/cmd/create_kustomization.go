package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// kustomizationFlags are the flags of `create kustomization`.
type kustomizationFlags struct {
	source, path, targetNamespace, serviceAccount, decryptionProvider, decryptionSecret, kubeconfigSecret string
	prune, wait                                                                                           bool
	dependsOn, healthChecks                                                                               []string
	healthTimeout, retryInterval                                                                          time.Duration
}

func newCreateKustomizationCommand(a *app, cf *createFlags) *cobra.Command {
	var f kustomizationFlags
	c := &cobra.Command{
		Use:     "kustomization [name]",
		Aliases: []string{"ks"},
		Short:   "Create or update a Kustomization resource",
		Example: `  # Create a Kustomization resource from a source at a given path
  ferry create kustomization kyverno \
    --source=GitRepository/kyverno \
    --path="./config/release" \
    --prune=true \
    --interval=60m \
    --wait=true \
    --health-check-timeout=3m`,
		RunE: a.createRunE(cf, "Kustomization", "Kustomization", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			obj, err := kustomization(cf, &f, meta)
			if err != nil {
				return nil, err
			}
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.source, "source", "", "source that contains the Kubernetes manifests in the format '[<kind>/]<name>.<namespace>', where kind must be one of: (GitRepository, OCIRepository, Bucket), if kind is not specified it defaults to GitRepository")
	fs.StringVar(&f.path, "path", "./", "path to the directory containing a kustomization.yaml file")
	fs.BoolVar(&f.prune, "prune", false, "enable garbage collection")
	fs.BoolVar(&f.wait, "wait", false, "enable health checking of all the applied resources")
	fs.StringSliceVar(&f.dependsOn, "depends-on", nil, "Kustomization that must be ready before this Kustomization can be applied, supported formats '<name>' and '<namespace>/<name>'")
	fs.StringSliceVar(&f.healthChecks, "health-check", nil, "workload to be included in the health assessment, in the format '<kind>/<name>.<namespace>'")
	fs.DurationVar(&f.healthTimeout, "health-check-timeout", 0, "timeout of health checking operations")
	fs.DurationVar(&f.retryInterval, "retry-interval", 0, "the interval at which to retry a previously failed reconciliation")
	fs.StringVar(&f.targetNamespace, "target-namespace", "", "overrides the namespace of all Kustomization objects reconciled by this Kustomization")
	fs.StringVar(&f.serviceAccount, "service-account", "", "the name of the service account to impersonate when reconciling this Kustomization")
	fs.StringVar(&f.decryptionProvider, "decryption-provider", "", "decryption provider, available options are: (sops)")
	fs.StringVar(&f.decryptionSecret, "decryption-secret", "", "set the Kubernetes secret name that contains the OpenPGP private keys used for sops decryption")
	fs.StringVar(&f.kubeconfigSecret, "kubeconfig-secret-ref", "", "the name of the Kubernetes Secret that contains a key with the kubeconfig file for connecting to a remote cluster")
	return c
}

// kustomization builds the Kustomization of f.
func kustomization(cf *createFlags, f *kustomizationFlags, meta metav1.ObjectMeta) (*kustomizev1.Kustomization, error) {
	if f.source == "" {
		return nil, errors.New("source is required")
	}
	if !strings.HasPrefix(f.path, "./") && f.path != "." {
		return nil, fmt.Errorf("path must begin with ./, got %q", f.path)
	}
	kind, srcName, srcNS, err := parseRef(f.source, sourcev1.GitRepositoryKind)
	if err != nil {
		return nil, err
	}
	obj := &kustomizev1.Kustomization{ObjectMeta: meta}
	obj.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: kind, Name: srcName, Namespace: srcNS}
	obj.Spec.Path, obj.Spec.Prune, obj.Spec.Wait = f.path, f.prune, f.wait
	obj.Spec.Interval.Duration = cf.interval
	obj.Spec.Timeout, obj.Spec.RetryInterval = duration(f.healthTimeout), duration(f.retryInterval)
	obj.Spec.TargetNamespace, obj.Spec.ServiceAccountName = f.targetNamespace, f.serviceAccount
	obj.Spec.DependsOn = dependencies(f.dependsOn)
	for _, hc := range f.healthChecks {
		hk, hn, hns, err := parseRef(hc, "")
		if err != nil {
			return nil, err
		}
		obj.Spec.HealthChecks = append(obj.Spec.HealthChecks, fluxmeta.NamespacedObjectKindReference{Kind: hk, Name: hn, Namespace: hns})
	}
	if f.decryptionProvider != "" {
		obj.Spec.Decryption = &kustomizev1.Decryption{Provider: f.decryptionProvider, SecretRef: localRef(f.decryptionSecret)}
	}
	if f.kubeconfigSecret != "" {
		obj.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: f.kubeconfigSecret}}
	}
	return obj, nil
}

// dependencies reads '<name>' and '<namespace>/<name>' references.
func dependencies(refs []string) []fluxmeta.DependencyReference {
	var deps []fluxmeta.DependencyReference
	for _, d := range refs {
		if ns, name, ok := strings.Cut(d, "/"); ok {
			deps = append(deps, fluxmeta.DependencyReference{Namespace: ns, Name: name})
		} else {
			deps = append(deps, fluxmeta.DependencyReference{Name: d})
		}
	}
	return deps
}

// helmReleaseFlags are the flags of `create helmrelease`.
type helmReleaseFlags struct {
	source, chart, version, chartRef, targetNamespace, releaseName, serviceAccount, storageNamespace string
	crds, kubeconfigSecret, strategy                                                                 string
	createNamespace                                                                                  bool
	dependsOn, valuesFiles, valuesFrom                                                               []string
	chartInterval, timeout                                                                           time.Duration
}

func newCreateHelmReleaseCommand(a *app, cf *createFlags) *cobra.Command {
	var f helmReleaseFlags
	c := &cobra.Command{
		Use:     "helmrelease [name]",
		Aliases: []string{"hr"},
		Short:   "Create or update a HelmRelease resource",
		Example: `  # Create a HelmRelease with a chart from a HelmRepository source
  ferry create hr podinfo \
    --interval=10m \
    --source=HelmRepository/podinfo \
    --chart=podinfo \
    --chart-version=">4.0.0"`,
		RunE: a.createRunE(cf, "HelmRelease", "HelmRelease", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			obj, err := helmRelease(cf, &f, meta)
			if err != nil {
				return nil, err
			}
			return []client.Object{obj}, nil
		}),
	}
	fs := c.Flags()
	fs.StringVar(&f.source, "source", "", "source that contains the chart in the format '<kind>/<name>.<namespace>', where kind must be one of: (HelmRepository, GitRepository, Bucket)")
	fs.StringVar(&f.chart, "chart", "", "Helm chart name or path")
	fs.StringVar(&f.version, "chart-version", "", "Helm chart version, accepts a semver range (ignored for charts from GitRepository sources)")
	fs.StringVar(&f.chartRef, "chart-ref", "", "Helm chart reference in the format '<kind>/<name>.<namespace>', where kind must be one of: (OCIRepository, HelmChart)")
	fs.StringVar(&f.targetNamespace, "target-namespace", "", "namespace to install this release, defaults to the HelmRelease namespace")
	fs.BoolVar(&f.createNamespace, "create-target-namespace", false, "create the target namespace if it does not exist")
	fs.StringSliceVar(&f.dependsOn, "depends-on", nil, "HelmReleases that must be ready before this release can be installed, supported formats '<name>' and '<namespace>/<name>'")
	fs.StringSliceVar(&f.valuesFiles, "values", nil, "local path to values.yaml files, also accepts comma-separated values")
	fs.StringSliceVar(&f.valuesFrom, "values-from", nil, "a Kubernetes object reference that contains the values.yaml data key in the format '<kind>/<name>', where kind must be one of: (Secret,ConfigMap)")
	fs.StringVar(&f.releaseName, "release-name", "", "name used for the Helm release, defaults to a composition of '[<target-namespace>-]<HelmRelease-name>'")
	fs.StringVar(&f.serviceAccount, "service-account", "", "the name of the service account to impersonate when reconciling this HelmRelease")
	fs.StringVar(&f.storageNamespace, "storage-namespace", "", "namespace to store the Helm release, defaults to the target namespace")
	fs.StringVar(&f.crds, "crds", "", "upgrade CRDs policy, available options are: (Skip, Create, CreateReplace)")
	fs.StringVar(&f.kubeconfigSecret, "kubeconfig-secret-ref", "", "the name of the Kubernetes Secret that contains a key with the kubeconfig file for connecting to a remote cluster")
	fs.StringVar(&f.strategy, "reconcile-strategy", "ChartVersion", "the reconcile strategy for helm chart created by the helm release (accepted values: Revision and ChartVersion)")
	fs.DurationVar(&f.chartInterval, "chart-interval", 0, "the interval of which to check for new chart versions")
	fs.DurationVar(&f.timeout, "timeout", 0, "the timeout of the Helm actions")
	return c
}

// helmRelease builds the HelmRelease of f.
func helmRelease(cf *createFlags, f *helmReleaseFlags, meta metav1.ObjectMeta) (*helmv2.HelmRelease, error) {
	if (f.chart == "") == (f.chartRef == "") {
		return nil, errors.New("either --chart (with --source) or --chart-ref is required")
	}
	obj := &helmv2.HelmRelease{ObjectMeta: meta}
	obj.Spec.Interval.Duration = cf.interval
	if err := setChart(obj, f); err != nil {
		return nil, err
	}
	obj.Spec.ReleaseName, obj.Spec.TargetNamespace = f.releaseName, f.targetNamespace
	obj.Spec.StorageNamespace, obj.Spec.ServiceAccountName = f.storageNamespace, f.serviceAccount
	obj.Spec.DependsOn, obj.Spec.Timeout = dependencies(f.dependsOn), duration(f.timeout)
	if f.createNamespace || f.crds != "" {
		obj.Spec.Install = &helmv2.Install{CreateNamespace: f.createNamespace, CRDs: helmv2.CRDsPolicy(f.crds)}
	}
	if f.crds != "" {
		obj.Spec.Upgrade = &helmv2.Upgrade{CRDs: helmv2.CRDsPolicy(f.crds)}
	}
	if f.kubeconfigSecret != "" {
		obj.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: f.kubeconfigSecret}}
	}
	for _, v := range f.valuesFrom {
		kind, vName, ok := strings.Cut(v, "/")
		if !ok || (kind != "Secret" && kind != "ConfigMap") {
			return nil, fmt.Errorf("invalid --values-from %q, expected Secret/<name> or ConfigMap/<name>", v)
		}
		obj.Spec.ValuesFrom = append(obj.Spec.ValuesFrom, helmv2.ValuesReference{Kind: kind, Name: vName})
	}
	values, err := mergeValues(f.valuesFiles)
	if err != nil {
		return nil, err
	}
	obj.Spec.Values = values
	return obj, nil
}

// setChart sets spec.chart from --source and --chart, or spec.chartRef from --chart-ref.
func setChart(obj *helmv2.HelmRelease, f *helmReleaseFlags) error {
	if f.chartRef != "" {
		kind, name, ns, err := parseRef(f.chartRef, "")
		if err != nil {
			return err
		}
		obj.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: kind, Name: name, Namespace: ns}
		return nil
	}
	if f.source == "" {
		return errors.New("--source is required with --chart")
	}
	kind, name, ns, err := parseRef(f.source, "")
	if err != nil {
		return err
	}
	obj.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
		Chart: f.chart, Version: f.version, ReconcileStrategy: f.strategy, Interval: duration(f.chartInterval),
		SourceRef: helmv2.CrossNamespaceObjectReference{Kind: kind, Name: name, Namespace: ns},
	}}
	return nil
}

// mergeValues reads the values files and merges them, later files winning, key by key.
func mergeValues(files []string) (*apiextensionsv1.JSON, error) {
	if len(files) == 0 {
		return nil, nil
	}
	merged := map[string]any{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("failed to read values file %s: %w", file, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("failed to decode values file %s: %w", file, err)
		}
		merged = values.Merge(merged, m)
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the values: %w", err)
	}
	return &apiextensionsv1.JSON{Raw: raw}, nil
}
