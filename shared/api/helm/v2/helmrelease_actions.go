package v2

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CRDsPolicy says what a Helm install or upgrade does with the CRDs in the chart's crds/
// directory.
type CRDsPolicy string

const (
	// Skip neither creates nor replaces CRDs; the default for upgrades.
	Skip CRDsPolicy = "Skip"
	// Create creates missing CRDs and leaves existing ones alone; the default for installs.
	Create CRDsPolicy = "Create"
	// CreateReplace creates missing CRDs and replaces existing ones, never deleting any.
	CreateReplace CRDsPolicy = "CreateReplace"
)

// ActionStrategyName names how failures of an install or upgrade are handled.
type ActionStrategyName string

const (
	// ActionStrategyRemediateOnFailure applies the action's remediation settings on failure;
	// the default.
	ActionStrategyRemediateOnFailure ActionStrategyName = "RemediateOnFailure"
	// ActionStrategyRetryOnFailure retries the failed action (an install is retried as an
	// upgrade) after the retry interval, without remediation.
	ActionStrategyRetryOnFailure ActionStrategyName = "RetryOnFailure"
)

// DefaultRetryInterval is the wait between retries of the RetryOnFailure strategy.
const DefaultRetryInterval = 5 * time.Minute

// ServerSideApplyMode says whether an upgrade or rollback applies objects server-side.
type ServerSideApplyMode string

const (
	// ServerSideApplyEnabled always uses server-side apply.
	ServerSideApplyEnabled ServerSideApplyMode = "enabled"
	// ServerSideApplyDisabled always uses client-side apply.
	ServerSideApplyDisabled ServerSideApplyMode = "disabled"
	// ServerSideApplyAuto uses whatever the previous release used; the default.
	ServerSideApplyAuto ServerSideApplyMode = "auto"
)

// ChartNameChangeStrategy says what an upgrade does when the chart name changes.
type ChartNameChangeStrategy string

const (
	// ChartNameChangeInPlaceUpdate upgrades the release in place.
	ChartNameChangeInPlaceUpdate ChartNameChangeStrategy = "InPlaceUpdate"
	// ChartNameChangeReinstall uninstalls the release and installs it again; the default.
	ChartNameChangeReinstall ChartNameChangeStrategy = "Reinstall"
)

// RemediationStrategy is how a failed upgrade is remediated.
type RemediationStrategy string

const (
	// RollbackRemediationStrategy rolls back to the previous successful release; the default.
	RollbackRemediationStrategy RemediationStrategy = "rollback"
	// UninstallRemediationStrategy uninstalls the release.
	UninstallRemediationStrategy RemediationStrategy = "uninstall"
)

// ActionStrategy selects how failures of an install or upgrade are handled.
// +kubebuilder:validation:XValidation:rule="!has(self.retryInterval) || self.name != 'RemediateOnFailure'",message=".retryInterval cannot be set when .name is 'RemediateOnFailure'"
type ActionStrategy struct {
	// Name of the strategy.
	// +kubebuilder:validation:Enum=RemediateOnFailure;RetryOnFailure
	// +required
	Name ActionStrategyName `json:"name"`

	// RetryInterval is the wait between retries with RetryOnFailure; it defaults to 5m and
	// cannot be set with RemediateOnFailure.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`
}

// GetRetryInterval returns the retry interval, or DefaultRetryInterval when none is set.
func (in ActionStrategy) GetRetryInterval() time.Duration {
	if in.RetryInterval == nil {
		return DefaultRetryInterval
	}
	return in.RetryInterval.Duration
}

// Install configures Helm install actions.
type Install struct {
	// Timeout bounds each Kubernetes operation of the install; it defaults to spec.timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Remediation configures what happens when the install fails; by default nothing.
	// +optional
	Remediation *InstallRemediation `json:"remediation,omitempty"`

	// Strategy selects how install failures are handled.
	// +optional
	Strategy *ActionStrategy `json:"strategy,omitempty"`

	// DisableTakeOwnership stops Helm from adopting existing objects that the chart renders.
	// +optional
	DisableTakeOwnership bool `json:"disableTakeOwnership,omitempty"`

	// DisableWait skips waiting for the objects to be ready after the install.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs skips waiting for Jobs to complete after the install.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks keeps chart hooks from running during the install.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// DisableOpenAPIValidation skips validating the rendered objects against the cluster's
	// OpenAPI schema.
	// +optional
	DisableOpenAPIValidation bool `json:"disableOpenAPIValidation,omitempty"`

	// DisableSchemaValidation skips validating the values against the chart's JSON schema.
	// +optional
	DisableSchemaValidation bool `json:"disableSchemaValidation,omitempty"`

	// Replace lets Helm reuse the release name when it belongs to a deleted release still in
	// the history.
	// +optional
	Replace bool `json:"replace,omitempty"`

	// SkipCRDs installs no CRDs. Deprecated: set crds to Skip instead.
	// +optional
	SkipCRDs bool `json:"skipCRDs,omitempty"`

	// CRDs is the policy for the chart's CRDs on install; it defaults to Create.
	// +kubebuilder:validation:Enum=Skip;Create;CreateReplace
	// +optional
	CRDs CRDsPolicy `json:"crds,omitempty"`

	// CreateNamespace creates the target namespace when it does not exist; it is not removed
	// on uninstall.
	// +optional
	CreateNamespace bool `json:"createNamespace,omitempty"`

	// ServerSideApply applies the objects server-side. Defaults to true, or to false when
	// helm-controller's feature gate UseHelm3Defaults is on.
	// +optional
	ServerSideApply *bool `json:"serverSideApply,omitempty"`
}

// GetTimeout returns the install timeout, or def when none is set.
func (in Install) GetTimeout(def metav1.Duration) metav1.Duration { return durationOr(in.Timeout, def) }

// GetRemediation returns the install remediation settings; never nil.
func (in Install) GetRemediation() Remediation { return valueOrZero(in.Remediation) }

// GetStrategy returns the install strategy name, RemediateOnFailure when none is set.
func (in Install) GetStrategy() ActionStrategyName { return strategyName(in.Strategy) }

// GetCRDs returns the effective CRD policy of the install: Skip when skipCRDs is set, Create
// when none is set.
func (in Install) GetCRDs() CRDsPolicy {
	switch {
	case in.CRDs != "":
		return in.CRDs
	case in.SkipCRDs:
		return Skip
	default:
		return Create
	}
}

// Upgrade configures Helm upgrade actions.
type Upgrade struct {
	// Timeout bounds each Kubernetes operation of the upgrade; it defaults to spec.timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Remediation configures what happens when the upgrade fails; by default nothing.
	// +optional
	Remediation *UpgradeRemediation `json:"remediation,omitempty"`

	// Strategy selects how upgrade failures are handled.
	// +optional
	Strategy *ActionStrategy `json:"strategy,omitempty"`

	// DisableTakeOwnership stops Helm from adopting existing objects that the chart renders.
	// +optional
	DisableTakeOwnership bool `json:"disableTakeOwnership,omitempty"`

	// DisableWait skips waiting for the objects to be ready after the upgrade.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs skips waiting for Jobs to complete after the upgrade.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks keeps chart hooks from running during the upgrade.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// DisableOpenAPIValidation skips validating the rendered objects against the cluster's
	// OpenAPI schema.
	// +optional
	DisableOpenAPIValidation bool `json:"disableOpenAPIValidation,omitempty"`

	// DisableSchemaValidation skips validating the values against the chart's JSON schema.
	// +optional
	DisableSchemaValidation bool `json:"disableSchemaValidation,omitempty"`

	// Force replaces objects that cannot be updated in place.
	// +optional
	Force bool `json:"force,omitempty"`

	// PreserveValues reuses the values of the last release and merges the HelmRelease's
	// values over them, which makes the release depend on its history.
	// +optional
	PreserveValues bool `json:"preserveValues,omitempty"`

	// CleanupOnFail deletes the objects the failed upgrade created.
	// +optional
	CleanupOnFail bool `json:"cleanupOnFail,omitempty"`

	// CRDs is the policy for the chart's CRDs on upgrade; it defaults to Skip.
	// +kubebuilder:validation:Enum=Skip;Create;CreateReplace
	// +optional
	CRDs CRDsPolicy `json:"crds,omitempty"`

	// ServerSideApply selects server-side apply for the upgrade; it defaults to auto.
	// +kubebuilder:validation:Enum=enabled;disabled;auto
	// +optional
	ServerSideApply ServerSideApplyMode `json:"serverSideApply,omitempty"`

	// ChartNameChangeStrategy says what to do when the chart name changes; it defaults to
	// Reinstall.
	// +kubebuilder:validation:Enum=InPlaceUpdate;Reinstall
	// +optional
	ChartNameChangeStrategy ChartNameChangeStrategy `json:"chartNameChangeStrategy,omitempty"`
}

// GetTimeout returns the upgrade timeout, or def when none is set.
func (in Upgrade) GetTimeout(def metav1.Duration) metav1.Duration { return durationOr(in.Timeout, def) }

// GetRemediation returns the upgrade remediation settings; never nil.
func (in Upgrade) GetRemediation() Remediation { return valueOrZero(in.Remediation) }

// GetStrategy returns the upgrade strategy name, RemediateOnFailure when none is set.
func (in Upgrade) GetStrategy() ActionStrategyName { return strategyName(in.Strategy) }

// GetCRDs returns the effective CRD policy of the upgrade, Skip when none is set.
func (in Upgrade) GetCRDs() CRDsPolicy {
	if in.CRDs == "" {
		return Skip
	}
	return in.CRDs
}

// Test configures Helm test actions.
type Test struct {
	// Enable runs the chart's tests after every install and upgrade.
	// +optional
	Enable bool `json:"enable,omitempty"`

	// Timeout bounds each Kubernetes operation of the tests; it defaults to spec.timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// IgnoreFailures keeps failed tests from triggering remediation or affecting Ready; the
	// install and upgrade remediation settings can override it.
	// +optional
	IgnoreFailures bool `json:"ignoreFailures,omitempty"`

	// Filters include or exclude tests by name.
	// +optional
	Filters []Filter `json:"filters,omitempty"`
}

// GetTimeout returns the test timeout, or def when none is set.
func (in Test) GetTimeout(def metav1.Duration) metav1.Duration { return durationOr(in.Timeout, def) }

// Filter includes or excludes one Helm test.
type Filter struct {
	// Name of the test.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Exclude leaves the named test out instead of selecting it.
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// Rollback configures Helm rollback actions, used when a failed upgrade is remediated with
// the rollback strategy.
type Rollback struct {
	// Timeout bounds each Kubernetes operation of the rollback; it defaults to spec.timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// DisableWait skips waiting for the objects to be ready after the rollback.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DisableWaitForJobs skips waiting for Jobs to complete after the rollback.
	// +optional
	DisableWaitForJobs bool `json:"disableWaitForJobs,omitempty"`

	// DisableHooks keeps chart hooks from running during the rollback.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// Recreate restarted Pods where applicable. Deprecated: it has no effect with Helm 4.
	// +optional
	Recreate bool `json:"recreate,omitempty"`

	// Force replaces objects that cannot be updated in place.
	// +optional
	Force bool `json:"force,omitempty"`

	// CleanupOnFail deletes the objects the failed rollback created.
	// +optional
	CleanupOnFail bool `json:"cleanupOnFail,omitempty"`

	// ServerSideApply selects server-side apply for the rollback; it defaults to auto.
	// +kubebuilder:validation:Enum=enabled;disabled;auto
	// +optional
	ServerSideApply ServerSideApplyMode `json:"serverSideApply,omitempty"`
}

// GetTimeout returns the rollback timeout, or def when none is set.
func (in Rollback) GetTimeout(def metav1.Duration) metav1.Duration {
	return durationOr(in.Timeout, def)
}

// Uninstall configures Helm uninstall actions, used on deletion, for install remediation and
// for upgrade remediation with the uninstall strategy.
type Uninstall struct {
	// Timeout bounds each Kubernetes operation of the uninstall; it defaults to spec.timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// DisableHooks keeps chart hooks from running during the uninstall.
	// +optional
	DisableHooks bool `json:"disableHooks,omitempty"`

	// KeepHistory deletes the objects but keeps the release records, marked as uninstalled.
	// +optional
	KeepHistory bool `json:"keepHistory,omitempty"`

	// DisableWait skips waiting for the objects to be deleted.
	// +optional
	DisableWait bool `json:"disableWait,omitempty"`

	// DeletionPropagation is the propagation policy of the deletions.
	// +kubebuilder:default=background
	// +kubebuilder:validation:Enum=background;foreground;orphan
	// +optional
	DeletionPropagation *string `json:"deletionPropagation,omitempty"`
}

// GetTimeout returns the uninstall timeout, or def when none is set.
func (in Uninstall) GetTimeout(def metav1.Duration) metav1.Duration {
	return durationOr(in.Timeout, def)
}

// GetDeletionPropagation returns the deletion propagation policy, background by default.
func (in Uninstall) GetDeletionPropagation() string {
	if in.DeletionPropagation == nil {
		return "background"
	}
	return *in.DeletionPropagation
}

// durationOr returns *d, or def when d is nil.
func durationOr(d *metav1.Duration, def metav1.Duration) metav1.Duration {
	if d == nil {
		return def
	}
	return *d
}

// strategyName returns the name of s, RemediateOnFailure when s is nil.
func strategyName(s *ActionStrategy) ActionStrategyName {
	if s == nil {
		return ActionStrategyRemediateOnFailure
	}
	return s.Name
}
