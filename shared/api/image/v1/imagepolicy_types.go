package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// DefaultPolicyInterval is how often an ImagePolicy with digest reflection Always
// refreshes the digest when spec.interval is zero.
const DefaultPolicyInterval = 10 * time.Minute

// Sort orders of the alphabetical and numerical policies.
const (
	// OrderAsc elects the greatest tag ("z", "9").
	OrderAsc string = "asc"
	// OrderDesc elects the least tag ("a", "0").
	OrderDesc string = "desc"
)

// ImagePolicySpec says which ImageRepository's tags to consider and how to elect the
// latest one.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",message="spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"
// +kubebuilder:validation:XValidation:rule="has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",message="spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"
type ImagePolicySpec struct {
	// ImageRepositoryRef names the ImageRepository whose tags are considered; another
	// namespace requires the repository's accessFrom to allow it.
	// +required
	ImageRepositoryRef meta.NamespacedObjectReference `json:"imageRepositoryRef"`

	// Policy is the rule that orders the tags.
	// +required
	Policy ImagePolicyChoice `json:"policy"`

	// FilterTags narrows the tags considered, and may extract the part of each tag that
	// the policy compares. Without it every tag is considered.
	// +optional
	FilterTags *TagFilter `json:"filterTags,omitempty"`

	// DigestReflectionPolicy decides when status.latestRef.digest is filled in: Never
	// leaves it empty; IfNotPresent looks the digest up once per elected tag; Always looks
	// it up again every interval, so a re-pushed tag is noticed.
	// +kubebuilder:default:=Never
	// +optional
	DigestReflectionPolicy ReflectionPolicy `json:"digestReflectionPolicy,omitempty"`

	// Interval is how often the digest of the elected tag is looked up again; it is
	// accepted, and required, only with digestReflectionPolicy Always.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Suspend stops further evaluations of the policy while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// ReflectionPolicy decides when a value read from the registry is written into status.
// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
type ReflectionPolicy string

// Reflection policies.
const (
	// ReflectAlways refreshes the value every interval, overwriting the previous one.
	ReflectAlways ReflectionPolicy = "Always"
	// ReflectIfNotPresent writes the value only when it is missing for the elected tag.
	ReflectIfNotPresent ReflectionPolicy = "IfNotPresent"
	// ReflectNever never writes the value.
	ReflectNever ReflectionPolicy = "Never"
)

// ImagePolicyChoice holds one of the ordering rules.
type ImagePolicyChoice struct {
	// SemVer elects the highest semantic version within a range.
	// +optional
	SemVer *SemVerPolicy `json:"semver,omitempty"`

	// Alphabetical orders tags lexicographically.
	// +optional
	Alphabetical *AlphabeticalPolicy `json:"alphabetical,omitempty"`

	// Numerical orders tags as numbers.
	// +optional
	Numerical *NumericalPolicy `json:"numerical,omitempty"`
}

// SemVerPolicy elects the highest tag that is a semantic version within a range.
type SemVerPolicy struct {
	// Range is a semver constraint such as `>=1.0.0 <2.0.0` or `1.x`.
	// +required
	Range string `json:"range"`
}

// AlphabeticalPolicy elects a tag by lexicographic order.
type AlphabeticalPolicy struct {
	// Order is asc to elect the last tag in lexicographic order, desc to elect the first.
	// +kubebuilder:default:="asc"
	// +kubebuilder:validation:Enum=asc;desc
	// +optional
	Order string `json:"order,omitempty"`
}

// NumericalPolicy elects a tag by numeric order.
type NumericalPolicy struct {
	// Order is asc to elect the largest number, desc to elect the smallest.
	// +kubebuilder:default:="asc"
	// +kubebuilder:validation:Enum=asc;desc
	// +optional
	Order string `json:"order,omitempty"`
}

// TagFilter selects tags by regular expression before the policy orders them.
type TagFilter struct {
	// Pattern is a regular expression a tag must match to be considered.
	// +optional
	Pattern string `json:"pattern,omitempty"`

	// Extract is a template over the pattern's capture groups (e.g. `$ts`) whose result,
	// rather than the whole tag, is compared by the policy.
	// +optional
	Extract string `json:"extract,omitempty"`
}

// ImageRef identifies an image by repository name, tag and optional digest.
type ImageRef struct {
	// Name is the image repository, without tag or digest.
	// +required
	Name string `json:"name"`

	// Tag is the image tag.
	// +required
	Tag string `json:"tag"`

	// Digest is the image manifest digest, when known.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// String renders the reference as `name:tag`, followed by `@digest` when the digest is known.
func (in *ImageRef) String() string {
	s := in.Name + ":" + in.Tag
	if in.Digest != "" {
		s += "@" + in.Digest
	}
	return s
}

// ImagePolicyStatus is the observed state of an ImagePolicy.
type ImagePolicyStatus struct {
	meta.ObjectStatus `json:",inline"`

	// LatestRef is the image the policy elected from the repository's filtered tags.
	// +optional
	LatestRef *ImageRef `json:"latestRef,omitempty"`

	// ObservedPreviousRef is the value latestRef had before its last change.
	// +optional
	ObservedPreviousRef *ImageRef `json:"observedPreviousRef,omitempty"`

	// LatestImage is latestRef as `name:tag`, the field ImagePolicies of
	// image.toolkit.fluxcd.io/v1beta1 and v1beta2 show. Flux's v1 no longer has it; Ferry keeps
	// it in the storage version so that the older versions, served with conversion None, show
	// it as Flux did.
	// +optional
	LatestImage string `json:"latestImage,omitempty"`

	// ObservedPreviousImage is observedPreviousRef as `name:tag`, as v1beta2 shows it (kept
	// for the older versions, like latestImage).
	// +optional
	ObservedPreviousImage string `json:"observedPreviousImage,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=imgpol;imagepol,categories=all;fluxcd;fluxcd-images
// +kubebuilder:printcolumn:name="Image",type="string",JSONPath=".status.latestRef.name"
// +kubebuilder:printcolumn:name="Tag",type="string",JSONPath=".status.latestRef.tag"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// ImagePolicy elects the latest image of an ImageRepository by a semver, alphabetical or
// numerical rule.
type ImagePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImagePolicySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImagePolicyStatus `json:"status,omitempty"`
}

// GetObjectStatus returns the status fields the shared runtime maintains.
func (in *ImagePolicy) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *ImagePolicy) IsSuspended() bool { return in.Spec.Suspend }

// GetDigestReflectionPolicy returns spec.digestReflectionPolicy, or ReflectNever when it
// is empty.
func (in *ImagePolicy) GetDigestReflectionPolicy() ReflectionPolicy {
	if in.Spec.DigestReflectionPolicy == "" {
		return ReflectNever
	}
	return in.Spec.DigestReflectionPolicy
}

// GetRequeueAfter returns how long until the policy must be evaluated again without a
// trigger: spec.interval (DefaultPolicyInterval when zero) with digest reflection Always,
// otherwise zero, since the policy then changes only when its repository does.
func (in *ImagePolicy) GetRequeueAfter() time.Duration {
	if in.GetDigestReflectionPolicy() != ReflectAlways {
		return 0
	}
	if in.Spec.Interval == nil || in.Spec.Interval.Duration == 0 {
		return DefaultPolicyInterval
	}
	return in.Spec.Interval.Duration
}

// +kubebuilder:object:root=true

// ImagePolicyList is a list of ImagePolicies.
type ImagePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImagePolicy `json:"items"`
}
