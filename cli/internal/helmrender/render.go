// Package helmrender renders a HelmRelease's chart the way helm-controller installs it, for
// `ferry diff helmrelease`: values composed from spec.valuesFrom and spec.values and the
// post-renderers (spec.postRenderers, commonMetadata, the helm.toolkit.fluxcd.io/name and
// namespace labels) are helm-controller's own (shared/helm/values, shared/helm/postrender);
// the chart is rendered client-side with Helm's action library for the cluster's Kubernetes
// version. The chart comes from a local path or from the release record Helm keeps in the
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
	"github.com/ferry-gitops/ferry/shared/helm/postrender"
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
	install := action.NewInstall(&action.Configuration{})
	install.PostRenderer = postrender.Build(hr)
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
	return objects(rel.Manifest)
}

// targetNamespace is where the release installs its objects.
func targetNamespace(hr *helmv2.HelmRelease) string {
	if hr.Spec.TargetNamespace != "" {
		return hr.Spec.TargetNamespace
	}
	return hr.Namespace
}

// objects decodes the rendered (and post-rendered) manifest, in Helm's install order.
func objects(manifest string) ([]*unstructured.Unstructured, error) {
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
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
		out = append(out, obj)
	}
	return out, nil
}
