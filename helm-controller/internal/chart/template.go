// Package chart gets the chart of a HelmRelease: the HelmChart the release's spec.chart
// template describes, and the chart loaded from a source artifact (downloaded, verified
// against its digest and kept in memory by digest).
package chart

import (
	"maps"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// DesiredHelmChart returns the HelmChart that obj's spec.chart describes: named
// '<namespace>-<name>' in the namespace of its source, with the template's labels and
// annotations. Owner references are the caller's concern.
func DesiredHelmChart(obj *helmv2.HelmRelease) *sourcev1.HelmChart {
	tpl := obj.Spec.Chart
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{
			Name:      obj.GetHelmChartName(),
			Namespace: tpl.GetNamespace(obj.Namespace),
		},
		Spec: sourcev1.HelmChartSpec{
			Chart:   tpl.Spec.Chart,
			Version: tpl.Spec.Version,
			SourceRef: sourcev1.LocalHelmChartSourceReference{
				APIVersion: tpl.Spec.SourceRef.APIVersion,
				Kind:       tpl.Spec.SourceRef.Kind,
				Name:       tpl.Spec.SourceRef.Name,
			},
			Interval:                 tpl.GetInterval(obj.Spec.Interval),
			ReconcileStrategy:        tpl.Spec.ReconcileStrategy,
			ValuesFiles:              tpl.Spec.ValuesFiles,
			IgnoreMissingValuesFiles: tpl.Spec.IgnoreMissingValuesFiles,
		},
	}
	if hc.Spec.Version == "" {
		hc.Spec.Version = "*"
	}
	if hc.Spec.ReconcileStrategy == "" {
		hc.Spec.ReconcileStrategy = helmv2.ReconcileStrategyChartVersion
	}
	if v := tpl.Spec.Verify; v != nil {
		hc.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: v.Provider, SecretRef: v.SecretRef}
	}
	if m := tpl.ObjectMeta; m != nil {
		hc.Labels = maps.Clone(m.Labels)
		hc.Annotations = maps.Clone(m.Annotations)
	}
	return hc
}

// Sync makes existing match desired in what the controller owns: the spec, and the
// template's labels and annotations (other labels and annotations are kept). It reports
// whether anything changed.
func Sync(existing, desired *sourcev1.HelmChart) bool {
	changed := false
	if !reflect.DeepEqual(existing.Spec, desired.Spec) {
		existing.Spec = desired.Spec
		changed = true
	}
	for k, v := range desired.Labels {
		if existing.Labels[k] != v {
			if existing.Labels == nil {
				existing.Labels = map[string]string{}
			}
			existing.Labels[k], changed = v, true
		}
	}
	for k, v := range desired.Annotations {
		if existing.Annotations[k] != v {
			if existing.Annotations == nil {
				existing.Annotations = map[string]string{}
			}
			existing.Annotations[k], changed = v, true
		}
	}
	return changed
}
