package v1

// Kind names of the group.
const (
	// ImageRepositoryKind is the kind name of ImageRepository.
	ImageRepositoryKind = "ImageRepository"
	// ImagePolicyKind is the kind name of ImagePolicy.
	ImagePolicyKind = "ImagePolicy"
	// ImageUpdateAutomationKind is the kind name of ImageUpdateAutomation.
	ImageUpdateAutomationKind = "ImageUpdateAutomation"
)

// ImageFinalizer is the finalizer the image controllers put on the objects they reconcile.
const ImageFinalizer = "finalizers.fluxcd.io"

// SetterMarker is the key of the JSON comment that marks a YAML field for update by an
// ImageUpdateAutomation, as in `image: app:1.0 # {"$imagepolicy": "flux-system:app"}`.
// The value names an ImagePolicy as "<namespace>:<name>", optionally followed by
// ":tag", ":name" or ":digest" to write only that part of the latest image.
const SetterMarker = "$imagepolicy"

// Reasons set by the image-reflector-controller on ImageRepository and ImagePolicy.
const (
	// ImageURLInvalidReason signals that spec.image is not a valid image repository reference.
	ImageURLInvalidReason string = "ImageURLInvalid"
	// AuthenticationFailedReason signals that the registry credentials are missing,
	// malformed or rejected.
	AuthenticationFailedReason string = "AuthenticationFailed"
	// InvalidProviderConfigurationReason signals that spec.provider cannot be used with the
	// rest of the spec (a Secret besides a cloud login, a registry of another provider).
	InvalidProviderConfigurationReason string = "InvalidProviderConfiguration"
	// ReadOperationFailedReason signals that reading from the registry or the tag
	// database failed.
	ReadOperationFailedReason string = "ReadOperationFailed"
	// IntervalNotConfiguredReason signals that an ImagePolicy asks for digest reflection
	// Always without an interval.
	IntervalNotConfiguredReason string = "IntervalNotConfigured"
	// InvalidPolicyReason signals that the ImagePolicy's policy or tag filter cannot be
	// used, for example a bad semver range or regular expression.
	InvalidPolicyReason string = "InvalidPolicy"
	// FeatureGateDisabledReason signals that the spec uses a feature the controller has
	// not enabled, such as object-level workload identity.
	FeatureGateDisabledReason string = "FeatureGateDisabled"
)

// Reasons set by the image-automation-controller on ImageUpdateAutomation.
const (
	// InvalidUpdateStrategyReason signals an unusable spec.update.
	InvalidUpdateStrategyReason string = "InvalidUpdateStrategy"
	// InvalidSourceConfigReason signals that the referenced source cannot be used for
	// automation, for example because it is not a GitRepository or has no usable ref.
	InvalidSourceConfigReason string = "InvalidSourceConfiguration"
	// SourceManagerFailedReason signals that preparing the Git checkout failed.
	SourceManagerFailedReason string = "SourceManagerFailed"
	// GitOperationFailedReason signals that a clone, commit or push failed.
	GitOperationFailedReason string = "GitOperationFailed"
	// UpdateFailedReason signals that rewriting the files in the checkout failed.
	UpdateFailedReason string = "UpdateFailed"
	// InvalidPolicySelectorReason signals that spec.policySelector cannot be parsed.
	InvalidPolicySelectorReason string = "InvalidPolicySelector"
	// RemovedTemplateFieldReason signals that the commit message template uses data that
	// the v1 API no longer provides (the former `.Updated` field).
	RemovedTemplateFieldReason string = "RemovedTemplateField"
)

// Action names an observable stage of an image controller's reconciliation; it is
// reported on the events the controllers record.
type Action string

// String returns the action as a string.
func (a Action) String() string { return string(a) }

// Stages of the image controllers' reconciliations.
const (
	// ActionScan lists the tags of an ImageRepository and stores them.
	ActionScan Action = "Scan"
	// ActionSelectImage elects an ImagePolicy's latest image, reflecting its digest if asked.
	ActionSelectImage Action = "SelectImage"
	// ActionReconcile is the overall outcome of an ImageUpdateAutomation run.
	ActionReconcile Action = "Reconcile"
	// ActionListPolicies lists the ImagePolicies an ImageUpdateAutomation considers.
	ActionListPolicies Action = "ListPolicies"
	// ActionConfigureSource resolves the GitRepository and its credentials.
	ActionConfigureSource Action = "ConfigureSource"
	// ActionApplyPolicies rewrites the marked fields under spec.update.path.
	ActionApplyPolicies Action = "ApplyPolicies"
	// ActionCommitAndPush commits the changes and pushes them.
	ActionCommitAndPush Action = "CommitAndPush"
)
