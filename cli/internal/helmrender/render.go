// Package helmrender renders a HelmRelease's chart the way helm-controller installs it, for
// `ferry diff helmrelease`: values composed from spec.valuesFrom and spec.values, the chart
// rendered client-side with Helm's action library for the cluster's Kubernetes version, and
// the helm.toolkit.fluxcd.io/name and namespace labels (and commonMetadata) set on each
// object. The chart comes from a local path or from the release record Helm keeps in the
// cluster.
package helmrender

import (
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// Options say what to render.
type Options struct {
	// Release is the HelmRelease.
	Release *helmv2.HelmRelease
	// Chart is the chart to render.
	Chart *chart.Chart
	// Values are the composed values.
	Values map[string]any
	// KubeVersion is the cluster's version (v1.34.0), for .Capabilities.
	KubeVersion string
}

// Render returns the objects the release would apply, hooks and CRDs aside.
func Render(opts Options) ([]*unstructured.Unstructured, error) {
	hr := opts.Release
	if len(hr.Spec.PostRenderers) > 0 {
		return nil, fmt.Errorf("HelmRelease %s/%s uses spec.postRenderers, which diff helmrelease does not render", hr.Namespace, hr.Name)
	}
	install := action.NewInstall(&action.Configuration{})
	install.ClientOnly, install.DryRun, install.Replace = true, true, true
	install.DisableHooks, install.SkipCRDs = true, true
	install.ReleaseName = hr.GetReleaseName()
	install.Namespace = targetNamespace(hr)
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("failed to parse the Kubernetes version %q: %w", opts.KubeVersion, err)
		}
		install.KubeVersion = kv
	}
	rel, err := install.Run(opts.Chart, opts.Values)
	if err != nil {
		return nil, fmt.Errorf("failed to render the chart %s: %w", opts.Chart.Name(), err)
	}
	return objects(rel.Manifest, hr)
}

// targetNamespace is where the release installs its objects.
func targetNamespace(hr *helmv2.HelmRelease) string {
	if hr.Spec.TargetNamespace != "" {
		return hr.Spec.TargetNamespace
	}
	return hr.Namespace
}

// objects decodes the rendered manifest and labels each object as helm-controller's
// post-renderer does.
func objects(manifest string, hr *helmv2.HelmRelease) ([]*unstructured.Unstructured, error) {
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	labels := map[string]string{helmv2.NameLabel: hr.Name, helmv2.NamespaceLabel: hr.Namespace}
	var annotations map[string]string
	if cm := hr.Spec.CommonMetadata; cm != nil {
		for k, v := range cm.Labels {
			labels[k] = v
		}
		annotations = cm.Annotations
	}
	var out []*unstructured.Unstructured
	for _, k := range keys {
		if strings.TrimSpace(docs[k]) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(docs[k]))
		if err != nil {
			return nil, fmt.Errorf("failed to decode the rendered manifest: %w", err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("failed to decode the rendered manifest: %w", err)
		}
		obj.SetLabels(merge(obj.GetLabels(), labels))
		obj.SetAnnotations(merge(obj.GetAnnotations(), annotations))
		out = append(out, obj)
	}
	return out, nil
}

// merge returns a with b's entries set, or a when b is empty.
func merge(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}
