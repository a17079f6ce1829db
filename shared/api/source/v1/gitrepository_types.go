package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// GitRepositoryKind is the kind name of GitRepository.
const GitRepositoryKind = "GitRepository"

// Authentication providers of a GitRepository (spec.provider).
const (
	// GitProviderGeneric authenticates with the credentials of spec.secretRef.
	GitProviderGeneric string = "generic"
	// GitProviderAWS authenticates to AWS CodeCommit with IAM workload identity.
	GitProviderAWS string = "aws"
	// GitProviderAzure authenticates to Azure DevOps with workload or managed identity.
	GitProviderAzure string = "azure"
	// GitProviderGitHub authenticates as a GitHub App whose keys are in spec.secretRef.
	GitProviderGitHub string = "github"
)

// DefaultGitBranch is the branch checked out when spec.ref is empty.
const DefaultGitBranch = "master"

// GitVerificationMode selects which Git objects have their signature verified.
type GitVerificationMode string

// Git verification modes.
const (
	// ModeGitHEAD verifies the commit that was checked out. The lower-case "head" is
	// accepted as a synonym for backwards compatibility.
	ModeGitHEAD GitVerificationMode = "HEAD"
	// ModeGitTag verifies the annotated tag named in spec.ref.
	ModeGitTag GitVerificationMode = "Tag"
	// ModeGitTagAndHEAD verifies both the tag and the commit it points to.
	ModeGitTagAndHEAD GitVerificationMode = "TagAndHEAD"
)

// GitRepositorySpec says which Git repository and reference to fetch and how to pack it into
// an artifact.
// +kubebuilder:validation:XValidation:rule="!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))",message="serviceAccountName can only be set when provider is 'azure' or 'aws'"
type GitRepositorySpec struct {
	// URL of the repository, an HTTP(S) or SSH address.
	// +kubebuilder:validation:Pattern="^(http|https|ssh)://.*$"
	// +required
	URL string `json:"url"`

	// SecretRef names a Secret with the credentials: username and password or bearerToken
	// for HTTP(S), identity and known_hosts for SSH, or the GitHub App keys.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// Provider selects how to authenticate: generic (spec.secretRef), aws, azure or github.
	// Empty means generic.
	// +kubebuilder:validation:Enum=generic;aws;azure;github
	// +optional
	Provider string `json:"provider,omitempty"`

	// ServiceAccountName is the ServiceAccount whose workload identity is used by the aws and
	// azure providers.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// Interval between two checks of the repository for new commits.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// Timeout of Git operations such as clone.
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Reference is the branch, tag, semver range, ref name or commit to follow; when empty
	// the master branch is followed.
	// +optional
	Reference *GitRepositoryRef `json:"ref,omitempty"`

	// Verification turns on signature verification of the fetched commit or tag.
	// +optional
	Verification *GitRepositoryVerification `json:"verify,omitempty"`

	// ProxySecretRef names a Secret with the proxy (address, username, password) to reach
	// the Git server through.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// Ignore holds .sourceignore-style (gitignore syntax) patterns of files to leave out of
	// the artifact; it replaces the default patterns.
	// +optional
	Ignore *string `json:"ignore,omitempty"`

	// Suspend stops reconciliation of this object while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// RecurseSubmodules also clones the repository's submodules.
	// +optional
	RecurseSubmodules bool `json:"recurseSubmodules,omitempty"`

	// Include lists other GitRepositories whose artifact content is copied into this one's.
	// +optional
	Include []GitRepositoryInclude `json:"include,omitempty"`

	// SparseCheckout limits the checkout, and so the artifact, to these directories.
	// +optional
	SparseCheckout []string `json:"sparseCheckout,omitempty"`
}

// GitRepositoryInclude copies (part of) another GitRepository's artifact into this one.
type GitRepositoryInclude struct {
	// GitRepositoryRef names the GitRepository, in the same namespace, to include.
	// +required
	GitRepositoryRef meta.LocalObjectReference `json:"repository"`

	// FromPath is the directory of the included artifact to copy; empty means its root.
	// +optional
	FromPath string `json:"fromPath,omitempty"`

	// ToPath is where the content goes in this artifact; empty means the included
	// repository's name.
	// +optional
	ToPath string `json:"toPath,omitempty"`
}

// GitRepositoryRef is the Git reference to check out. When several fields are set, commit
// wins over name, name over semver, semver over tag and tag over branch.
type GitRepositoryRef struct {
	// Branch to follow; master when no field is set.
	// +optional
	Branch string `json:"branch,omitempty"`

	// Tag to check out.
	// +optional
	Tag string `json:"tag,omitempty"`

	// SemVer is a semantic version range; the highest matching tag is checked out.
	// +optional
	SemVer string `json:"semver,omitempty"`

	// Name is a full Git reference such as refs/heads/main, refs/tags/v1.0.0 or
	// refs/pull/1/head.
	// +optional
	Name string `json:"name,omitempty"`

	// Commit is the SHA to check out; with Branch, the branch is cloned shallowly and must
	// contain the commit.
	// +optional
	Commit string `json:"commit,omitempty"`
}

// GitRepositoryVerification says how to verify the signatures of the fetched Git objects.
type GitRepositoryVerification struct {
	// Mode selects the objects to verify: the checked-out commit (HEAD, or the legacy
	// "head"), the tag (Tag) or both (TagAndHEAD).
	// +kubebuilder:validation:Enum=head;HEAD;Tag;TagAndHEAD
	// +kubebuilder:default:=HEAD
	// +optional
	Mode GitVerificationMode `json:"mode,omitempty"`

	// SecretRef names a Secret holding the trusted public keys: PGP keys under keys ending in
	// .asc, SSH keys under keys ending in .sshpub.
	// +required
	SecretRef meta.LocalObjectReference `json:"secretRef"`
}

// GitRepositoryStatus is the observed state of a GitRepository.
type GitRepositoryStatus struct {
	meta.ObjectStatus `json:",inline"`

	// Artifact is the artifact of the last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`

	// IncludedArtifacts are the artifacts of spec.include used for the current artifact.
	// +optional
	IncludedArtifacts []*meta.Artifact `json:"includedArtifacts,omitempty"`

	// ObservedIgnore is the spec.ignore used for the current artifact.
	// +optional
	ObservedIgnore *string `json:"observedIgnore,omitempty"`

	// ObservedRecurseSubmodules is the spec.recurseSubmodules used for the current artifact.
	// +optional
	ObservedRecurseSubmodules bool `json:"observedRecurseSubmodules,omitempty"`

	// ObservedInclude is the spec.include used for the current artifact.
	// +optional
	ObservedInclude []GitRepositoryInclude `json:"observedInclude,omitempty"`

	// ObservedSparseCheckout is the spec.sparseCheckout used for the current artifact.
	// +optional
	ObservedSparseCheckout []string `json:"observedSparseCheckout,omitempty"`

	// SourceVerificationMode is the verification mode last applied to the fetched objects.
	// +optional
	SourceVerificationMode *GitVerificationMode `json:"sourceVerificationMode,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=gitrepo,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`

// GitRepository fetches a Git repository at a reference and publishes its content as an
// artifact.
type GitRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GitRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status GitRepositoryStatus `json:"status,omitempty"`
}

// GitRepositoryList is a list of GitRepository objects.
// +kubebuilder:object:root=true
type GitRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GitRepository `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *GitRepository) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *GitRepository) IsSuspended() bool { return in.Spec.Suspend }

// GetArtifact returns status.artifact, or nil.
func (in *GitRepository) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns spec.interval.
func (in *GitRepository) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetTimeout returns spec.timeout, or DefaultTimeout when it is not set.
func (in *GitRepository) GetTimeout() time.Duration { return timeoutOrDefault(in.Spec.Timeout) }

// GetProvider returns spec.provider, or GitProviderGeneric when it is empty.
func (in *GitRepository) GetProvider() string {
	if in.Spec.Provider == "" {
		return GitProviderGeneric
	}
	return in.Spec.Provider
}

// GetToPath returns spec.include[].toPath, or the included repository's name when it is empty.
func (in *GitRepositoryInclude) GetToPath() string {
	if in.ToPath == "" {
		return in.GitRepositoryRef.Name
	}
	return in.ToPath
}

// GetMode returns the verification mode, mapping the legacy "head" and any unknown value
// to ModeGitHEAD.
func (in *GitRepositoryVerification) GetMode() GitVerificationMode {
	switch in.Mode {
	case ModeGitTag, ModeGitTagAndHEAD:
		return in.Mode
	default:
		return ModeGitHEAD
	}
}

// VerifyHEAD reports whether the checked-out commit must be verified.
func (in *GitRepositoryVerification) VerifyHEAD() bool { return in.GetMode() != ModeGitTag }

// VerifyTag reports whether the tag must be verified.
func (in *GitRepositoryVerification) VerifyTag() bool { return in.GetMode() != ModeGitHEAD }
