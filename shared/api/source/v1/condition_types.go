package v1

// SourceFinalizer is the finalizer the source-controller puts on every source object so that
// it can remove the stored artifacts before the object goes away.
const SourceFinalizer = "finalizers.fluxcd.io"

// Condition types of the source kinds, besides the shared Ready, Reconciling and Stalled.
// The "abnormal-true" ones (FetchFailed, BuildFailed, StorageOperationFailed,
// ArtifactOutdated, IncludeUnavailable) are present only while True.
const (
	// ArtifactInStorageCondition is True once the object's artifact is in the storage.
	ArtifactInStorageCondition string = "ArtifactInStorage"

	// ArtifactOutdatedCondition is True while the stored artifact no longer matches the spec
	// or the upstream revision.
	ArtifactOutdatedCondition string = "ArtifactOutdated"

	// SourceVerifiedCondition reports the outcome of signature verification; it is present
	// only when verification is configured.
	SourceVerifiedCondition string = "SourceVerified"

	// FetchFailedCondition is True while the upstream source cannot be fetched, so the
	// artifact may be out of date.
	FetchFailedCondition string = "FetchFailed"

	// BuildFailedCondition is True while the artifact cannot be built from the fetched
	// content.
	BuildFailedCondition string = "BuildFailed"

	// StorageOperationFailedCondition is True while an operation on the artifact storage
	// (directories, files, archives, locks) fails.
	StorageOperationFailedCondition string = "StorageOperationFailed"

	// IncludeUnavailableCondition is True while a GitRepository named in spec.include is
	// missing or has no artifact yet.
	IncludeUnavailableCondition string = "IncludeUnavailable"
)

// Reasons shared by the source kinds. The shared meta package holds the generic ones
// (Succeeded, Progressing, InvalidPath, ...).
const (
	// URLInvalidReason signals that the source URL cannot be parsed or is not supported.
	URLInvalidReason string = "URLInvalid"

	// AuthenticationFailedReason signals missing or wrong credentials, or a credentials
	// Secret without the expected keys.
	AuthenticationFailedReason string = "AuthenticationFailed"

	// VerificationErrorReason signals that the signature verification of the source failed.
	VerificationErrorReason string = "VerificationError"

	// DirCreationFailedReason signals that a storage directory could not be created.
	DirCreationFailedReason string = "DirectoryCreationFailed"

	// StatOperationFailedReason signals that a storage path could not be inspected.
	StatOperationFailedReason string = "StatOperationFailed"

	// ReadOperationFailedReason signals that a storage file could not be read.
	ReadOperationFailedReason string = "ReadOperationFailed"

	// AcquireLockFailedReason signals that the storage lock of an artifact could not be taken.
	AcquireLockFailedReason string = "AcquireLockFailed"

	// ArchiveOperationFailedReason signals that the artifact archive could not be written.
	ArchiveOperationFailedReason string = "ArchiveOperationFailed"

	// SymlinkUpdateFailedReason signals that the "latest" link of an artifact could not be
	// updated.
	SymlinkUpdateFailedReason string = "SymlinkUpdateFailed"

	// ArtifactUpToDateReason signals that the stored artifact already matches the source.
	ArtifactUpToDateReason string = "ArtifactUpToDate"

	// CacheOperationFailedReason signals that an operation on an in-memory cache failed.
	CacheOperationFailedReason string = "CacheOperationFailed"

	// PatchOperationFailedReason signals that patching an object in the API server failed.
	PatchOperationFailedReason string = "PatchOperationFailed"

	// InvalidSTSConfigurationReason signals that spec.sts of a Bucket cannot be used with the
	// Bucket's provider.
	InvalidSTSConfigurationReason string = "InvalidSTSConfiguration"

	// InvalidProviderConfigurationReason signals that the authentication provider settings
	// (provider, service account, secrets) do not fit together.
	InvalidProviderConfigurationReason string = "InvalidProviderConfiguration"

	// NewArtifactEventReason is the reason of the event recorded when a new artifact is
	// stored.
	NewArtifactEventReason string = "NewArtifact"
)

// Reasons of GitRepository.
const (
	// GitOperationSucceedReason signals that a Git operation such as clone or checkout
	// succeeded.
	GitOperationSucceedReason string = "GitOperationSucceeded"

	// GitOperationFailedReason signals that a Git operation such as clone or checkout failed.
	GitOperationFailedReason string = "GitOperationFailed"
)

// Reasons of OCIRepository.
const (
	// OCIPullFailedReason signals that pulling the OCI artifact failed.
	OCIPullFailedReason string = "OCIArtifactPullFailed"

	// OCILayerOperationFailedReason signals that extracting or copying the selected layer
	// failed.
	OCILayerOperationFailedReason string = "OCIArtifactLayerOperationFailed"
)

// Reasons of HelmRepository.
const (
	// IndexationFailedReason signals that the repository index could not be fetched or
	// loaded.
	IndexationFailedReason string = "IndexationFailed"

	// IndexationSucceededReason signals that the repository index was fetched and loaded.
	IndexationSucceededReason string = "IndexationSucceeded"
)

// Reasons of HelmChart.
const (
	// ChartPullFailedReason signals that the chart could not be pulled from its repository.
	ChartPullFailedReason string = "ChartPullFailed"

	// ChartPullSucceededReason signals that the chart was pulled from its repository.
	ChartPullSucceededReason string = "ChartPullSucceeded"

	// ChartPackageFailedReason signals that the chart could not be packaged from a Git or
	// Bucket source.
	ChartPackageFailedReason string = "ChartPackageFailed"

	// ChartPackageSucceededReason signals that the chart was packaged from a Git or Bucket
	// source.
	ChartPackageSucceededReason string = "ChartPackageSucceeded"
)

// Reasons of Bucket.
const (
	// BucketOperationSucceededReason signals that listing and fetching the bucket's objects
	// succeeded.
	BucketOperationSucceededReason string = "BucketOperationSucceeded"

	// BucketOperationFailedReason signals that listing or fetching the bucket's objects
	// failed.
	BucketOperationFailedReason string = "BucketOperationFailed"
)

// artifactFailures are the negative-polarity conditions every source kind has.
var artifactFailures = []string{FetchFailedCondition, StorageOperationFailedCondition, ArtifactOutdatedCondition}

// NegativePolarityConditions returns the GitRepository's conditions of negative polarity.
func (in *GitRepository) NegativePolarityConditions() []string {
	return append([]string{IncludeUnavailableCondition}, artifactFailures...)
}

// NegativePolarityConditions returns the OCIRepository's conditions of negative polarity.
func (in *OCIRepository) NegativePolarityConditions() []string { return artifactFailures }

// NegativePolarityConditions returns the HelmRepository's conditions of negative polarity.
func (in *HelmRepository) NegativePolarityConditions() []string { return artifactFailures }

// NegativePolarityConditions returns the HelmChart's conditions of negative polarity.
func (in *HelmChart) NegativePolarityConditions() []string {
	return append([]string{BuildFailedCondition}, artifactFailures...)
}

// NegativePolarityConditions returns the Bucket's conditions of negative polarity.
func (in *Bucket) NegativePolarityConditions() []string { return artifactFailures }
