package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// HelmChartKind is the kind name of HelmChart.
const HelmChartKind = "HelmChart"

// Reconcile strategies of a HelmChart (spec.reconcileStrategy).
const (
	// ReconcileStrategyChartVersion builds a new artifact when the chart version changes; it
	// is the default.
	ReconcileStrategyChartVersion string = "ChartVersion"
	// ReconcileStrategyRevision builds a new artifact when the source revision changes.
	ReconcileStrategyRevision string = "Revision"
)

// HelmChartSpec says which chart to fetch or package from which source.
type HelmChartSpec struct {
	// Chart is the chart's name in a HelmRepository, or its path in a GitRepository or
	// Bucket artifact.
	// +required
	Chart string `json:"chart"`

	// Version is a semantic version range of the chart; ignored for charts from
	// GitRepository and Bucket sources. "*" means the latest.
	// +kubebuilder:default:=*
	// +optional
	Version string `json:"version,omitempty"`

	// SourceRef names the source the chart comes from.
	// +required
	SourceRef LocalHelmChartSourceReference `json:"sourceRef"`

	// Interval between two checks of the source for a new chart.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// ReconcileStrategy says what triggers a new artifact: a new chart version (ChartVersion)
	// or a new source revision (Revision).
	// +kubebuilder:validation:Enum=ChartVersion;Revision
	// +kubebuilder:default:=ChartVersion
	// +optional
	ReconcileStrategy string `json:"reconcileStrategy,omitempty"`

	// ValuesFiles are paths, relative to the source, of values files merged in order (later
	// wins) to become the packaged chart's default values; values.yaml is not included
	// unless listed.
	// +optional
	ValuesFiles []string `json:"valuesFiles,omitempty"`

	// IgnoreMissingValuesFiles skips values files that do not exist instead of failing.
	// +optional
	IgnoreMissingValuesFiles bool `json:"ignoreMissingValuesFiles,omitempty"`

	// Suspend stops reconciliation of this object while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Verify turns on signature verification of the chart; supported only for charts from
	// an OCI HelmRepository, and not for dependencies outside the chart's own artifact.
	// +optional
	Verify *OCIRepositoryVerification `json:"verify,omitempty"`
}

// LocalHelmChartSourceReference names the source of a chart in the HelmChart's namespace.
type LocalHelmChartSourceReference struct {
	// APIVersion of the source.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the source: HelmRepository, GitRepository or Bucket.
	// +kubebuilder:validation:Enum=HelmRepository;GitRepository;Bucket
	// +required
	Kind string `json:"kind"`

	// Name of the source.
	// +required
	Name string `json:"name"`
}

// HelmChartStatus is the observed state of a HelmChart.
type HelmChartStatus struct {
	meta.ObjectStatus `json:",inline"`

	// ObservedSourceArtifactRevision is the source artifact revision the current chart
	// artifact was built from.
	// +optional
	ObservedSourceArtifactRevision string `json:"observedSourceArtifactRevision,omitempty"`

	// ObservedChartName is the chart name resolved from spec.chart.
	// +optional
	ObservedChartName string `json:"observedChartName,omitempty"`

	// ObservedValuesFiles are the values files merged into the current chart artifact.
	// +optional
	ObservedValuesFiles []string `json:"observedValuesFiles,omitempty"`

	// URL is the address of the latest chart artifact, kept for compatibility; prefer
	// status.artifact.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact is the packaged chart of the last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=hc,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="Chart",type=string,JSONPath=`.spec.chart`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Source Kind",type=string,JSONPath=`.spec.sourceRef.kind`
// +kubebuilder:printcolumn:name="Source Name",type=string,JSONPath=`.spec.sourceRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`

// HelmChart fetches a chart from a HelmRepository, or packages one from a GitRepository or
// Bucket, and publishes it as an artifact.
type HelmChart struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmChartSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmChartStatus `json:"status,omitempty"`
}

// HelmChartList is a list of HelmChart objects.
// +kubebuilder:object:root=true
type HelmChartList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmChart `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *HelmChart) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *HelmChart) IsSuspended() bool { return in.Spec.Suspend }

// GetArtifact returns status.artifact, or nil.
func (in *HelmChart) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns spec.interval.
func (in *HelmChart) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetValuesFiles returns spec.valuesFiles.
func (in *HelmChart) GetValuesFiles() []string { return in.Spec.ValuesFiles }
