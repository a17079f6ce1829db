package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// DefaultExclusionPattern is the only entry of the exclusion list used when
// spec.exclusionList is empty: it leaves out the `.sig` tags that cosign pushes beside images.
const DefaultExclusionPattern = `^.*\.sig$`

// Registry providers an ImageRepository can authenticate with.
const (
	// GenericProvider authenticates with spec.secretRef or the service account's pull secrets.
	GenericProvider string = "generic"
	// AWSProvider authenticates to Amazon ECR with the controller's or a service account's identity.
	AWSProvider string = "aws"
	// AzureProvider authenticates to Azure Container Registry with workload identity.
	AzureProvider string = "azure"
	// GCPProvider authenticates to Google Artifact or Container Registry with workload identity.
	GCPProvider string = "gcp"
)

// ImageRepositorySpec says which image repository to scan, how often, and with which
// credentials.
type ImageRepositorySpec struct {
	// Image is the image repository to scan, e.g. `ghcr.io/org/app`; Docker Hub names may
	// be short (`alpine`).
	// +required
	Image string `json:"image"`

	// Interval is the time between two scans of the repository.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// Timeout bounds one scan; it defaults to the interval.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// SecretRef names a Secret of type kubernetes.io/dockerconfigjson (as written by
	// `kubectl create secret docker-registry`) holding the registry credentials.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ProxySecretRef names a Secret with the proxy settings (address, and optionally
	// username and password) used to reach the registry.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// ServiceAccountName is a ServiceAccount whose image pull secrets are used, or whose
	// cloud identity is used when provider is not generic.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names a Secret (type Opaque or kubernetes.io/tls) with TLS material for
	// the registry: a client certificate and key in `tls.crt` and `tls.key`, and/or a CA
	// certificate in `ca.crt`.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// Suspend stops further scans while true; a scan already running finishes.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// AccessFrom lists the namespaces whose ImagePolicies may refer to this repository
	// across namespaces.
	// +optional
	AccessFrom *AccessFrom `json:"accessFrom,omitempty"`

	// ExclusionList holds regular expressions; tags matching any of them are not stored.
	// +kubebuilder:default:={"^.*\\.sig$"}
	// +kubebuilder:validation:MaxItems:=25
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// Provider selects how to authenticate to the registry: generic (secrets), or the
	// workload identity of aws, azure or gcp.
	// +kubebuilder:validation:Enum=generic;aws;azure;gcp
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`

	// Insecure allows talking to the registry over plain HTTP.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// AccessFrom is an access-control list that grants objects in other namespaces the right
// to refer to this object.
type AccessFrom struct {
	// NamespaceSelectors selects the namespaces granted access; a namespace matching any
	// selector is granted.
	// +required
	NamespaceSelectors []NamespaceSelector `json:"namespaceSelectors"`
}

// NamespaceSelector selects namespaces by label; an empty selector matches every namespace.
type NamespaceSelector struct {
	// MatchLabels holds label key/value pairs that all must be present on the namespace.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// ScanResult summarises the last scan of an image repository.
type ScanResult struct {
	// Revision is a stable digest of the set of tags found, which changes when the set does.
	// +optional
	Revision string `json:"revision,omitempty"`

	// TagCount is the number of tags found.
	// +required
	TagCount int `json:"tagCount"`

	// ScanTime is when the scan finished.
	// +optional
	ScanTime metav1.Time `json:"scanTime,omitzero"`

	// LatestTags is a sample of the tags found: the first ten in descending
	// lexicographic order.
	// +optional
	LatestTags []string `json:"latestTags,omitempty"`
}

// ImageRepositoryStatus is the observed state of an ImageRepository.
type ImageRepositoryStatus struct {
	meta.ObjectStatus `json:",inline"`

	// CanonicalImageName is spec.image with every implied part spelled out, e.g.
	// `docker.io/library/alpine` for `alpine`.
	// +optional
	CanonicalImageName string `json:"canonicalImageName,omitempty"`

	// LastScanResult summarises the last successful scan.
	// +optional
	LastScanResult *ScanResult `json:"lastScanResult,omitempty"`

	// ObservedExclusionList is the exclusion list that was applied to produce
	// lastScanResult.
	// +optional
	ObservedExclusionList []string `json:"observedExclusionList,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=imgrepo;imagerepo,categories=all;fluxcd;fluxcd-images
// +kubebuilder:printcolumn:name="Image",type="string",JSONPath=".spec.image"
// +kubebuilder:printcolumn:name="Tags",type="string",JSONPath=".status.lastScanResult.tagCount"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Status",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].message"
// +kubebuilder:printcolumn:name="Last scan",type="string",JSONPath=".status.lastScanResult.scanTime",priority=1
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// ImageRepository scans an image repository in a registry on an interval and keeps the
// list of its tags for ImagePolicies to choose from.
type ImageRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImageRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ImageRepositoryStatus `json:"status,omitempty"`
}

// GetObjectStatus returns the status fields the shared runtime maintains.
func (in *ImageRepository) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *ImageRepository) IsSuspended() bool { return in.Spec.Suspend }

// GetRequeueAfter returns the scan interval.
func (in *ImageRepository) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetTimeout returns the scan timeout: spec.timeout, else the interval, and never less
// than one second.
func (in *ImageRepository) GetTimeout() time.Duration {
	d := in.Spec.Interval.Duration
	if in.Spec.Timeout != nil {
		d = in.Spec.Timeout.Duration
	}
	return max(d, time.Second)
}

// GetExclusionList returns spec.exclusionList, or a list of DefaultExclusionPattern when
// it is empty.
func (in *ImageRepository) GetExclusionList() []string {
	if len(in.Spec.ExclusionList) > 0 {
		return in.Spec.ExclusionList
	}
	return []string{DefaultExclusionPattern}
}

// GetProvider returns spec.provider, or GenericProvider when it is empty.
func (in *ImageRepository) GetProvider() string {
	if in.Spec.Provider == "" {
		return GenericProvider
	}
	return in.Spec.Provider
}

// +kubebuilder:object:root=true

// ImageRepositoryList is a list of ImageRepositories.
type ImageRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageRepository `json:"items"`
}
