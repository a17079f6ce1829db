package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// OCIRepositoryKind is the kind name of OCIRepository.
const OCIRepositoryKind = "OCIRepository"

// OCIRepositoryPrefix is the scheme every OCIRepository URL starts with.
const OCIRepositoryPrefix = "oci://"

// Authentication providers of OCI registries (OCIRepository and HelmRepository spec.provider).
const (
	// GenericOCIProvider authenticates with static credentials from spec.secretRef or the
	// service account's image pull secrets.
	GenericOCIProvider string = "generic"
	// AmazonOCIProvider authenticates to ECR with AWS workload identity.
	AmazonOCIProvider string = "aws"
	// GoogleOCIProvider authenticates to Artifact Registry with GCP workload identity.
	GoogleOCIProvider string = "gcp"
	// AzureOCIProvider authenticates to ACR with Azure workload or managed identity.
	AzureOCIProvider string = "azure"
)

// Layer operations of an OCIRepository (spec.layerSelector.operation).
const (
	// OCILayerExtract unpacks the selected tar.gz layer into the artifact; it is the default.
	OCILayerExtract = "extract"
	// OCILayerCopy stores the selected layer as it is, still compressed.
	OCILayerCopy = "copy"
)

// OCIRepositorySpec says which OCI artifact to pull and how to turn it into an artifact.
type OCIRepositorySpec struct {
	// URL of the OCI repository, such as oci://ghcr.io/org/app-config.
	// +kubebuilder:validation:Pattern="^oci://.*$"
	// +required
	URL string `json:"url"`

	// Reference is the tag, semver range or digest to pull; when empty the latest tag is
	// pulled.
	// +optional
	Reference *OCIRepositoryRef `json:"ref,omitempty"`

	// LayerSelector picks the layer to use by media type; when empty the first layer is used.
	// +optional
	LayerSelector *OCILayerSelector `json:"layerSelector,omitempty"`

	// Provider selects how to authenticate to the registry: generic, aws, azure or gcp.
	// +kubebuilder:validation:Enum=generic;aws;azure;gcp
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`

	// SecretRef names a kubernetes.io/dockerconfigjson Secret with the registry credentials.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// Verify turns on signature verification of the pulled artifact.
	// +optional
	Verify *OCIRepositoryVerification `json:"verify,omitempty"`

	// ServiceAccountName is a ServiceAccount whose image pull secrets are used as
	// credentials, or whose workload identity is used by a cloud provider.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names a Secret (type Opaque or kubernetes.io/tls) with a client
	// certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt) for TLS to the
	// registry.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// ProxySecretRef names a Secret with the proxy (address, username, password) to reach
	// the registry through.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// Interval between two checks of the registry for a new artifact.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// Timeout of registry operations such as pulls.
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Ignore holds .sourceignore-style (gitignore syntax) patterns of files to leave out of
	// the artifact; it replaces the default patterns.
	// +optional
	Ignore *string `json:"ignore,omitempty"`

	// Insecure allows plain HTTP to the registry.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// Suspend stops reconciliation of this object while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// OCIRepositoryRef is the OCI reference to pull. Digest wins over semver, semver over tag.
type OCIRepositoryRef struct {
	// Digest to pull, as sha256:<hex>.
	// +optional
	Digest string `json:"digest,omitempty"`

	// SemVer is a semantic version range; the highest matching tag is pulled.
	// +optional
	SemVer string `json:"semver,omitempty"`

	// SemverFilter is a regular expression the tags must match to be considered for SemVer.
	// +optional
	SemverFilter string `json:"semverFilter,omitempty"`

	// Tag to pull; latest when no field is set.
	// +optional
	Tag string `json:"tag,omitempty"`
}

// OCILayerSelector picks one layer of an OCI artifact and says what to do with it.
type OCILayerSelector struct {
	// MediaType of the layer to use; the first layer with this media type is selected.
	// +optional
	MediaType string `json:"mediaType,omitempty"`

	// Operation is extract (unpack the layer, the default) or copy (store it unchanged).
	// +kubebuilder:validation:Enum=extract;copy
	// +optional
	Operation string `json:"operation,omitempty"`
}

// OCIRepositoryStatus is the observed state of an OCIRepository.
type OCIRepositoryStatus struct {
	meta.ObjectStatus `json:",inline"`

	// URL is the address of the latest artifact, kept for compatibility; prefer
	// status.artifact.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact is the artifact of the last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`

	// ObservedIgnore is the spec.ignore used for the current artifact.
	// +optional
	ObservedIgnore *string `json:"observedIgnore,omitempty"`

	// ObservedLayerSelector is the spec.layerSelector used for the current artifact.
	// +optional
	ObservedLayerSelector *OCILayerSelector `json:"observedLayerSelector,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=ocirepo,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// OCIRepository pulls an OCI artifact from a container registry and publishes its content as
// an artifact.
type OCIRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec OCIRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status OCIRepositoryStatus `json:"status,omitempty"`
}

// OCIRepositoryList is a list of OCIRepository objects.
// +kubebuilder:object:root=true
type OCIRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OCIRepository `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *OCIRepository) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *OCIRepository) IsSuspended() bool { return in.Spec.Suspend }

// GetArtifact returns status.artifact, or nil.
func (in *OCIRepository) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns spec.interval.
func (in *OCIRepository) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetTimeout returns spec.timeout, or DefaultTimeout when it is not set.
func (in *OCIRepository) GetTimeout() time.Duration { return timeoutOrDefault(in.Spec.Timeout) }

// GetLayerMediaType returns spec.layerSelector.mediaType, or "" for the first layer.
func (in *OCIRepository) GetLayerMediaType() string {
	if in.Spec.LayerSelector == nil {
		return ""
	}
	return in.Spec.LayerSelector.MediaType
}

// GetLayerOperation returns spec.layerSelector.operation, or OCILayerExtract when it is empty.
func (in *OCIRepository) GetLayerOperation() string {
	if in.Spec.LayerSelector == nil || in.Spec.LayerSelector.Operation == "" {
		return OCILayerExtract
	}
	return in.Spec.LayerSelector.Operation
}
