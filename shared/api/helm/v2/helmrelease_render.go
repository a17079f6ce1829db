package v2

import "github.com/ferry-gitops/ferry/shared/api/meta"

// DefaultValuesKey is the data key read from a values reference when valuesKey is empty.
const DefaultValuesKey = "values.yaml"

// Values of HelmReleaseSpec.PostRenderStrategy.
const (
	// PostRenderStrategyNoHooks runs the post-renderers on the templates only, leaving the
	// hooks untouched (Helm 3 behaviour).
	PostRenderStrategyNoHooks = "nohooks"
	// PostRenderStrategyCombined runs the post-renderers on hooks and templates as one stream.
	PostRenderStrategyCombined = "combined"
	// PostRenderStrategySeparate runs the post-renderers on the hooks as a stream of their
	// own.
	PostRenderStrategySeparate = "separate"
)

// Values of WaitStrategy.Name.
const (
	// WaitStrategyPoller waits by polling the kstatus of the release's objects.
	WaitStrategyPoller = "poller"
	// WaitStrategyLegacy waits with Helm 3's readiness checks.
	WaitStrategyLegacy = "legacy"
)

// ValuesReference points at a key of a ConfigMap or Secret holding Helm values.
type ValuesReference struct {
	// Kind of the referent.
	// +kubebuilder:validation:Enum=Secret;ConfigMap
	// +required
	Kind string `json:"kind"`

	// Name of the referent, in the namespace of the HelmRelease.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// ValuesKey is the data key holding a values document or a single value; it defaults to
	// 'values.yaml'.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[\-._a-zA-Z0-9]+$`
	// +optional
	ValuesKey string `json:"valuesKey,omitempty"`

	// TargetPath is the path, in Helm '--set' syntax, at which the single value of valuesKey
	// is merged; when empty the document is merged at the root.
	// +kubebuilder:validation:MaxLength=250
	// +kubebuilder:validation:Pattern=`^([a-zA-Z0-9_\-.\\\/]|\[[0-9]{1,5}\])+$`
	// +optional
	TargetPath string `json:"targetPath,omitempty"`

	// Optional makes a missing referent tolerated; an unusable valuesKey or targetPath still
	// fails the reconciliation.
	// +optional
	Optional bool `json:"optional,omitempty"`

	// Literal sets the value at targetPath as a plain string, without parsing it the way
	// '--set' does.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// GetValuesKey returns valuesKey, or DefaultValuesKey when it is empty.
func (in ValuesReference) GetValuesKey() string { return firstNonEmpty(in.ValuesKey, DefaultValuesKey) }

// PostRenderer is one post-rendering step applied to the rendered manifests.
type PostRenderer struct {
	// Kustomize applies Kustomize patches and image overrides.
	// +optional
	Kustomize *Kustomize `json:"kustomize,omitempty"`
}

// Kustomize is a post-rendering step made of Kustomize patches and image overrides.
type Kustomize struct {
	// Patches are strategic merge or JSON 6902 patches with optional target selectors.
	// +optional
	Patches []meta.Patch `json:"patches,omitempty"`

	// Images override image names, tags or digests.
	// +optional
	Images []meta.Image `json:"images,omitempty"`
}

// WaitStrategy selects how the controller waits for the objects of a release to be ready.
type WaitStrategy struct {
	// Name of the strategy: 'poller' uses kstatus, 'legacy' uses Helm 3's readiness checks.
	// +kubebuilder:validation:Enum=poller;legacy
	// +required
	Name string `json:"name"`
}

// DriftDetectionMode says whether and how drift from the release manifest is handled.
type DriftDetectionMode string

const (
	// DriftDetectionEnabled detects drift and corrects it.
	DriftDetectionEnabled DriftDetectionMode = "enabled"
	// DriftDetectionWarn detects drift and reports it without correcting it.
	DriftDetectionWarn DriftDetectionMode = "warn"
	// DriftDetectionDisabled does not look for drift; the default.
	DriftDetectionDisabled DriftDetectionMode = "disabled"
)

// DriftDetection configures the comparison of the release manifest with the cluster state.
type DriftDetection struct {
	// Mode says whether drift is ignored, reported or corrected; it defaults to disabled.
	// +kubebuilder:validation:Enum=enabled;warn;disabled
	// +optional
	Mode DriftDetectionMode `json:"mode,omitempty"`

	// Ignore lists changes left out of the comparison.
	// +optional
	Ignore []meta.IgnoreRule `json:"ignore,omitempty"`
}

// GetMode returns the mode, disabled when none is set.
func (in DriftDetection) GetMode() DriftDetectionMode {
	if in.Mode == "" {
		return DriftDetectionDisabled
	}
	return in.Mode
}

// MustDetectChanges reports whether drift is looked for, in warn or enabled mode.
func (in DriftDetection) MustDetectChanges() bool { return in.GetMode() != DriftDetectionDisabled }
