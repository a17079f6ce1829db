package v2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// Values of HelmChartTemplateSpec.ReconcileStrategy.
const (
	// ReconcileStrategyChartVersion makes a new chart artifact only when the chart version
	// changes.
	ReconcileStrategyChartVersion = "ChartVersion"

	// ReconcileStrategyRevision makes a new chart artifact whenever the source revision
	// changes.
	ReconcileStrategyRevision = "Revision"
)

// HelmChartTemplate is the template of the HelmChart the controller creates for a
// HelmRelease, in the namespace of the source it refers to.
type HelmChartTemplate struct {
	// ObjectMeta holds labels and annotations for the HelmChart.
	// +optional
	ObjectMeta *HelmChartTemplateObjectMeta `json:"metadata,omitempty"`

	// Spec is the template of the HelmChart's spec.
	// +required
	Spec HelmChartTemplateSpec `json:"spec"`
}

// GetInterval returns the interval of the HelmChart, or def when the template has none.
func (in HelmChartTemplate) GetInterval(def metav1.Duration) metav1.Duration {
	if in.Spec.Interval == nil {
		return def
	}
	return *in.Spec.Interval
}

// GetNamespace returns the namespace of the chart's source, or def when the reference has
// none.
func (in HelmChartTemplate) GetNamespace(def string) string {
	return firstNonEmpty(in.Spec.SourceRef.Namespace, def)
}

// HelmChartTemplateObjectMeta holds the metadata set on the HelmChart.
type HelmChartTemplateObjectMeta struct {
	// Labels are set on the HelmChart.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations are set on the HelmChart.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HelmChartTemplateSpec is the template of a HelmChart's spec.
type HelmChartTemplateSpec struct {
	// Chart is the name of the chart in a Helm repository, or its path in a Git repository or
	// bucket.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +required
	Chart string `json:"chart"`

	// Version is a semver constraint on the chart version; it is ignored for charts from Git
	// repositories and buckets and defaults to the latest version.
	// +kubebuilder:default:=*
	// +optional
	Version string `json:"version,omitempty"`

	// SourceRef points at the source holding the chart.
	// +required
	SourceRef CrossNamespaceObjectReference `json:"sourceRef"`

	// Interval is how often the source is checked for a new chart; it defaults to the
	// HelmRelease's interval.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// ReconcileStrategy decides what makes a new chart artifact: a new chart version
	// ('ChartVersion', the default) or a new source revision ('Revision').
	// +kubebuilder:validation:Enum=ChartVersion;Revision
	// +kubebuilder:default:=ChartVersion
	// +optional
	ReconcileStrategy string `json:"reconcileStrategy,omitempty"`

	// ValuesFiles replace the chart's default values with these files, relative to the
	// source and merged in order; values.yaml is included only when listed.
	// +optional
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// IgnoreMissingValuesFiles skips listed values files that do not exist instead of
	// failing.
	// +optional
	IgnoreMissingValuesFiles bool `json:"ignoreMissingValuesFiles,omitempty"`

	// Verify configures signature verification of charts from OCI sources; dependencies not
	// bundled in the chart artifact are not verified.
	// +optional
	Verify *HelmChartTemplateVerification `json:"verify,omitempty"`
}

// HelmChartTemplateVerification configures how the signature of an OCI chart is verified.
type HelmChartTemplateVerification struct {
	// Provider is the signing technology.
	// +kubebuilder:validation:Enum=cosign;notation
	// +kubebuilder:default:=cosign
	// +required
	Provider string `json:"provider"`

	// SecretRef names a Secret holding the trusted public keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`
}

// CrossNamespaceObjectReference points at the source of a chart template, optionally in
// another namespace.
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=HelmRepository;GitRepository;Bucket
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// CrossNamespaceSourceReference points at a source object whose artifact is a chart,
// optionally in another namespace.
type CrossNamespaceSourceReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +kubebuilder:validation:Enum=OCIRepository;HelmChart;ExternalArtifact
	// +required
	Kind string `json:"kind"`

	// Name of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the referent; defaults to the namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}
