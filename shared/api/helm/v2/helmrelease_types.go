package v2

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

const (
	// DefaultMaxHistory is the number of release revisions Helm keeps when spec.maxHistory is
	// not set.
	DefaultMaxHistory = 5

	// DefaultTimeout is the Helm action timeout used when spec.timeout is not set.
	DefaultTimeout = 5 * time.Minute

	// maxReleaseNameLength is the longest release name Helm accepts.
	maxReleaseNameLength = 53

	// shortReleaseNamePrefix is how many characters of a too long name are kept before the
	// hash suffix.
	shortReleaseNamePrefix = 40

	// shortReleaseNameHash is how many hex characters of the SHA-256 of a too long name are
	// appended to its prefix.
	shortReleaseNameHash = 12
)

// HelmReleaseSpec is the desired state of a Helm release: where the chart comes from, how it
// is configured, and how each Helm action is run.
// +kubebuilder:validation:XValidation:rule="(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",message="either chart or chartRef must be set"
type HelmReleaseSpec struct {
	// Chart is the template of the HelmChart the controller creates for this release, in the
	// namespace of the source it refers to. Exactly one of chart and chartRef must be set.
	// +optional
	Chart *HelmChartTemplate `json:"chart,omitempty"`

	// ChartRef points at an existing source object whose artifact is the chart. Exactly one
	// of chart and chartRef must be set.
	// +optional
	ChartRef *CrossNamespaceSourceReference `json:"chartRef,omitempty"`

	// Interval is how often the release is reconciled.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// KubeConfig makes the release target a remote cluster. Combined with
	// serviceAccountName, the controller impersonates that account on the remote cluster.
	// +optional
	KubeConfig *meta.KubeConfigReference `json:"kubeConfig,omitempty"`

	// Suspend stops the controller from reconciling this release; a reconciliation already
	// running is not interrupted.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// ReleaseName is the name of the Helm release. When empty it is
	// '[<targetNamespace>-]<name>', shortened with a hash when longer than 53 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=53
	// +optional
	ReleaseName string `json:"releaseName,omitempty"`

	// TargetNamespace is the namespace the release is installed into; it defaults to the
	// namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// StorageNamespace is the namespace where Helm keeps the release records; it defaults to
	// the namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`

	// DependsOn lists HelmReleases that must be ready before this one is reconciled.
	// +optional
	DependsOn []meta.DependencyReference `json:"dependsOn,omitempty"`

	// Timeout bounds each Kubernetes operation (such as hook Jobs) of a Helm action; it
	// defaults to 5m0s.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// MaxHistory is how many release revisions Helm keeps; 0 means no limit and the default
	// is 5.
	// +optional
	MaxHistory *int `json:"maxHistory,omitempty"`

	// ServiceAccountName is the service account the controller impersonates for this release.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// PersistentClient makes the controller keep one Kubernetes client for the whole
	// reconciliation instead of one per Helm action step. It defaults to true; turn it off for
	// charts that create CRDs outside Helm's CRD handling and use them in later hooks.
	// +optional
	PersistentClient *bool `json:"persistentClient,omitempty"`

	// DriftDetection configures how differences between the release manifest and the cluster
	// state are detected and handled.
	// +optional
	DriftDetection *DriftDetection `json:"driftDetection,omitempty"`

	// Install configures Helm install actions.
	// +optional
	Install *Install `json:"install,omitempty"`

	// Upgrade configures Helm upgrade actions.
	// +optional
	Upgrade *Upgrade `json:"upgrade,omitempty"`

	// Test configures Helm test actions.
	// +optional
	Test *Test `json:"test,omitempty"`

	// Rollback configures Helm rollback actions.
	// +optional
	Rollback *Rollback `json:"rollback,omitempty"`

	// Uninstall configures Helm uninstall actions.
	// +optional
	Uninstall *Uninstall `json:"uninstall,omitempty"`

	// ValuesFrom lists ConfigMaps and Secrets holding values, merged in order before the
	// inline values.
	// +optional
	ValuesFrom []ValuesReference `json:"valuesFrom,omitempty"`

	// Values are inline Helm values, merged over the values from valuesFrom.
	// +optional
	Values *apiextensionsv1.JSON `json:"values,omitempty"`

	// PostRenderers are applied in order to the rendered manifests.
	// +optional
	PostRenderers []PostRenderer `json:"postRenderers,omitempty"`

	// PostRenderStrategy decides whether chart hooks go through the post-renderers: 'nohooks'
	// leaves hooks alone, 'combined' renders hooks and templates as one stream, and
	// 'separate' renders hooks as a stream of their own. Defaults to 'combined', or to
	// 'nohooks' when helm-controller's feature gate UseHelm3Defaults is on.
	// +kubebuilder:validation:Enum=nohooks;combined;separate
	// +optional
	PostRenderStrategy string `json:"postRenderStrategy,omitempty"`

	// CommonMetadata holds labels and annotations set on every object of the release.
	// +optional
	CommonMetadata *meta.CommonMetadata `json:"commonMetadata,omitempty"`

	// WaitStrategy selects how the controller waits for the release's objects to be ready.
	// Defaults to 'poller' (kstatus), or to 'legacy' when helm-controller's feature gate
	// UseHelm3Defaults is on.
	// +optional
	WaitStrategy *WaitStrategy `json:"waitStrategy,omitempty"`

	// HealthCheckExprs are CEL expressions that assess the health of custom resources while
	// waiting.
	// +optional
	HealthCheckExprs []meta.CustomHealthCheck `json:"healthCheckExprs,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=hr,categories=fluxcd
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message"

// HelmRelease declares a Helm release that the helm-controller installs, upgrades, tests,
// remediates and keeps free of drift.
type HelmRelease struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the release.
	Spec HelmReleaseSpec `json:"spec,omitempty"`

	// Status is the observed state of the release.
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmReleaseStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// HelmReleaseList is a list of HelmReleases.
type HelmReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the HelmReleases.
	Items []HelmRelease `json:"items"`
}

// GetObjectStatus returns the status fields the shared runtime maintains.
func (in *HelmRelease) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *HelmRelease) IsSuspended() bool { return in.Spec.Suspend }

// GetRequeueAfter returns spec.interval, the time until the next reconcile.
func (in *HelmRelease) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetDependsOn returns spec.dependsOn.
func (in *HelmRelease) GetDependsOn() []meta.DependencyReference { return in.Spec.DependsOn }

// GetConditions returns the status conditions.
func (in *HelmRelease) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *HelmRelease) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }

// HasChartRef reports whether the chart comes from spec.chartRef.
func (in *HelmRelease) HasChartRef() bool { return in.Spec.ChartRef != nil }

// HasChartTemplate reports whether the chart comes from a HelmChart built from spec.chart.
func (in *HelmRelease) HasChartTemplate() bool { return in.Spec.Chart != nil }

// GetReleaseName returns spec.releaseName, or '[<targetNamespace>-]<name>'. A composed name
// longer than 53 characters becomes its first 40 characters, a dash and the first 12 hex
// characters of its SHA-256, as Helm caps release names at 53 characters.
func (in *HelmRelease) GetReleaseName() string {
	if in.Spec.ReleaseName != "" {
		return in.Spec.ReleaseName
	}
	name := in.Name
	if in.Spec.TargetNamespace != "" {
		name = in.Spec.TargetNamespace + "-" + in.Name
	}
	return shortenReleaseName(name)
}

// shortenReleaseName returns name unchanged when Helm accepts it, and otherwise a stable
// shortened form of it.
func shortenReleaseName(name string) string {
	if len(name) <= maxReleaseNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:shortReleaseNamePrefix] + "-" + hex.EncodeToString(sum[:])[:shortReleaseNameHash]
}

// GetReleaseNamespace returns spec.targetNamespace, or the namespace of the HelmRelease.
func (in *HelmRelease) GetReleaseNamespace() string {
	return firstNonEmpty(in.Spec.TargetNamespace, in.Namespace)
}

// GetStorageNamespace returns spec.storageNamespace, or the namespace of the HelmRelease.
func (in *HelmRelease) GetStorageNamespace() string {
	return firstNonEmpty(in.Spec.StorageNamespace, in.Namespace)
}

// GetHelmChartName returns the name of the HelmChart created from spec.chart:
// '<namespace>-<name>' of the HelmRelease.
func (in *HelmRelease) GetHelmChartName() string { return in.Namespace + "-" + in.Name }

// GetTimeout returns spec.timeout, or DefaultTimeout.
func (in *HelmRelease) GetTimeout() metav1.Duration {
	if in.Spec.Timeout == nil {
		return metav1.Duration{Duration: DefaultTimeout}
	}
	return *in.Spec.Timeout
}

// GetMaxHistory returns spec.maxHistory, or DefaultMaxHistory.
func (in *HelmRelease) GetMaxHistory() int {
	if in.Spec.MaxHistory == nil {
		return DefaultMaxHistory
	}
	return *in.Spec.MaxHistory
}

// UsePersistentClient returns spec.persistentClient, which defaults to true.
func (in *HelmRelease) UsePersistentClient() bool {
	return in.Spec.PersistentClient == nil || *in.Spec.PersistentClient
}

// GetDriftDetection returns spec.driftDetection, or its zero value (detection disabled).
func (in *HelmRelease) GetDriftDetection() DriftDetection { return valueOrZero(in.Spec.DriftDetection) }

// GetInstall returns spec.install, or its zero value; never nil.
func (in *HelmRelease) GetInstall() Install { return valueOrZero(in.Spec.Install) }

// GetUpgrade returns spec.upgrade, or its zero value; never nil.
func (in *HelmRelease) GetUpgrade() Upgrade { return valueOrZero(in.Spec.Upgrade) }

// GetTest returns spec.test, or its zero value (tests disabled).
func (in *HelmRelease) GetTest() Test { return valueOrZero(in.Spec.Test) }

// GetRollback returns spec.rollback, or its zero value.
func (in *HelmRelease) GetRollback() Rollback { return valueOrZero(in.Spec.Rollback) }

// GetUninstall returns spec.uninstall, or its zero value.
func (in *HelmRelease) GetUninstall() Uninstall { return valueOrZero(in.Spec.Uninstall) }

// GetActiveRemediation returns the remediation settings of the action last attempted (install
// or upgrade), or nil when no release action was attempted yet.
func (in *HelmRelease) GetActiveRemediation() Remediation {
	switch in.Status.LastAttemptedReleaseAction {
	case ReleaseActionInstall:
		return in.GetInstall().GetRemediation()
	case ReleaseActionUpgrade:
		return in.GetUpgrade().GetRemediation()
	default:
		return nil
	}
}

// valueOrZero returns *p, or the zero value of T when p is nil.
func valueOrZero[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// firstNonEmpty returns a unless it is empty, and b otherwise.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
