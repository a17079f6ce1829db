package v2

// Remediation is what InstallRemediation and UpgradeRemediation have in common: how many
// times a failed action is retried, and how the failure is undone in between.
// +kubebuilder:object:generate=false
type Remediation interface {
	// GetRetries returns how many times the action is retried; negative means without limit.
	GetRetries() int
	// MustIgnoreTestFailures reports whether test failures are ignored, given the default
	// from spec.test.ignoreFailures.
	MustIgnoreTestFailures(def bool) bool
	// MustRemediateLastFailure reports whether the last failure is remediated once no retries
	// are left.
	MustRemediateLastFailure() bool
	// GetStrategy returns how a failure is remediated.
	GetStrategy() RemediationStrategy
	// GetFailureCount returns the failure counter of the action from the status of obj.
	GetFailureCount(obj *HelmRelease) int64
	// IncrementFailureCount adds one to the failure counter of the action in obj.
	IncrementFailureCount(obj *HelmRelease)
	// RetriesExhausted reports whether the failures of obj used up the retries.
	RetriesExhausted(obj *HelmRelease) bool
}

// InstallRemediation configures what happens when a Helm install fails.
type InstallRemediation struct {
	// Retries is how many times the install is retried, with an uninstall before each retry;
	// 0 (the default) means never and a negative value means without limit.
	// +optional
	Retries int `json:"retries,omitempty"`

	// IgnoreTestFailures skips remediation when tests fail after the install; it defaults to
	// spec.test.ignoreFailures.
	// +optional
	IgnoreTestFailures *bool `json:"ignoreTestFailures,omitempty"`

	// RemediateLastFailure uninstalls the release after the last failed retry; it defaults
	// to false.
	// +optional
	RemediateLastFailure *bool `json:"remediateLastFailure,omitempty"`
}

// GetRetries returns the number of retries.
func (in InstallRemediation) GetRetries() int { return in.Retries }

// MustIgnoreTestFailures returns ignoreTestFailures, or def when it is not set.
func (in InstallRemediation) MustIgnoreTestFailures(def bool) bool {
	return boolOr(in.IgnoreTestFailures, def)
}

// MustRemediateLastFailure returns remediateLastFailure, false when it is not set.
func (in InstallRemediation) MustRemediateLastFailure() bool {
	return boolOr(in.RemediateLastFailure, false)
}

// GetStrategy returns the uninstall strategy: a failed install is always uninstalled.
func (in InstallRemediation) GetStrategy() RemediationStrategy { return UninstallRemediationStrategy }

// GetFailureCount returns status.installFailures of obj.
func (in InstallRemediation) GetFailureCount(obj *HelmRelease) int64 {
	return obj.Status.InstallFailures
}

// IncrementFailureCount adds one to status.installFailures of obj.
func (in InstallRemediation) IncrementFailureCount(obj *HelmRelease) {
	obj.Status.InstallFailures++
}

// RetriesExhausted reports whether status.installFailures of obj exceeds the retries.
func (in InstallRemediation) RetriesExhausted(obj *HelmRelease) bool {
	return retriesExhausted(in.Retries, in.GetFailureCount(obj))
}

// UpgradeRemediation configures what happens when a Helm upgrade fails.
type UpgradeRemediation struct {
	// Retries is how many times the upgrade is retried, with the remediation strategy applied
	// before each retry; 0 (the default) means never and a negative value means without
	// limit.
	// +optional
	Retries int `json:"retries,omitempty"`

	// IgnoreTestFailures skips remediation when tests fail after the upgrade; it defaults to
	// spec.test.ignoreFailures.
	// +optional
	IgnoreTestFailures *bool `json:"ignoreTestFailures,omitempty"`

	// RemediateLastFailure remediates the last failed retry too; it defaults to true when
	// retries is above 0 and to false otherwise.
	// +optional
	RemediateLastFailure *bool `json:"remediateLastFailure,omitempty"`

	// Strategy is how a failed upgrade is remediated; it defaults to rollback.
	// +kubebuilder:validation:Enum=rollback;uninstall
	// +optional
	Strategy *RemediationStrategy `json:"strategy,omitempty"`
}

// GetRetries returns the number of retries.
func (in UpgradeRemediation) GetRetries() int { return in.Retries }

// MustIgnoreTestFailures returns ignoreTestFailures, or def when it is not set.
func (in UpgradeRemediation) MustIgnoreTestFailures(def bool) bool {
	return boolOr(in.IgnoreTestFailures, def)
}

// MustRemediateLastFailure returns remediateLastFailure, or whether retries is above 0 when
// it is not set.
func (in UpgradeRemediation) MustRemediateLastFailure() bool {
	return boolOr(in.RemediateLastFailure, in.Retries > 0)
}

// GetStrategy returns the remediation strategy, rollback when none is set.
func (in UpgradeRemediation) GetStrategy() RemediationStrategy {
	if in.Strategy == nil {
		return RollbackRemediationStrategy
	}
	return *in.Strategy
}

// GetFailureCount returns status.upgradeFailures of obj.
func (in UpgradeRemediation) GetFailureCount(obj *HelmRelease) int64 {
	return obj.Status.UpgradeFailures
}

// IncrementFailureCount adds one to status.upgradeFailures of obj.
func (in UpgradeRemediation) IncrementFailureCount(obj *HelmRelease) {
	obj.Status.UpgradeFailures++
}

// RetriesExhausted reports whether status.upgradeFailures of obj exceeds the retries.
func (in UpgradeRemediation) RetriesExhausted(obj *HelmRelease) bool {
	return retriesExhausted(in.Retries, in.GetFailureCount(obj))
}

// retriesExhausted reports whether failures used up retries; negative retries never run out.
func retriesExhausted(retries int, failures int64) bool {
	return retries >= 0 && failures > int64(retries)
}

// boolOr returns *b, or def when b is nil.
func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
