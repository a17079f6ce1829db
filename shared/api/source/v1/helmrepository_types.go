package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// HelmRepositoryKind is the kind name of HelmRepository.
const HelmRepositoryKind = "HelmRepository"

// Types of HelmRepository (spec.type).
const (
	// HelmRepositoryTypeDefault is an HTTP(S) chart repository with an index.yaml; it is used
	// when spec.type is empty.
	HelmRepositoryTypeDefault = "default"
	// HelmRepositoryTypeOCI is an OCI registry holding charts; its URL starts with oci://.
	HelmRepositoryTypeOCI = "oci"
)

// DefaultHelmRepositoryInterval is the interval of a HelmRepository whose spec.interval is
// not set.
const DefaultHelmRepositoryInterval = time.Minute

// HelmRepositorySpec says which Helm repository to index.
type HelmRepositorySpec struct {
	// URL of the repository: http(s):// for an index-based repository, oci:// for a registry.
	// +kubebuilder:validation:Pattern="^(http|https|oci)://.*$"
	// +required
	URL string `json:"url"`

	// SecretRef names a Secret with the credentials: username and password for basic auth
	// (the certFile, keyFile and caFile keys are deprecated in favour of spec.certSecretRef).
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// CertSecretRef names a Secret (type Opaque or kubernetes.io/tls) with a client
	// certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt) for TLS to the
	// repository. It wins over TLS data in spec.secretRef.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// PassCredentials sends the credentials of spec.secretRef also to hosts other than the
	// URL's, such as chart download hosts named in the index. Use with care.
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`

	// Interval between two fetches of the repository index.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`

	// Insecure allows plain HTTP to an OCI registry; it is used only when spec.type is oci.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// Timeout of the index fetch, and of the registry operations of the HelmCharts using an
	// OCI repository; 60s when not set.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Suspend stops reconciliation of this object while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// AccessFrom lists the namespaces allowed to reference this repository; reserved, not
	// enforced.
	// +optional
	AccessFrom *AccessFrom `json:"accessFrom,omitempty"`

	// Type of the repository: default (HTTP(S) index) or oci.
	// +kubebuilder:validation:Enum=default;oci
	// +optional
	Type string `json:"type,omitempty"`

	// Provider selects how to authenticate to an OCI registry: generic, aws, azure or gcp;
	// it is used only when spec.type is oci.
	// +kubebuilder:validation:Enum=generic;aws;azure;gcp
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`
}

// HelmRepositoryStatus is the observed state of a HelmRepository.
type HelmRepositoryStatus struct {
	meta.ObjectStatus `json:",inline"`

	// URL is the address of the latest index artifact, kept for compatibility; prefer
	// status.artifact.
	// +optional
	URL string `json:"url,omitempty"`

	// Artifact is the index artifact of the last successful reconciliation.
	// +optional
	Artifact *meta.Artifact `json:"artifact,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=helmrepo,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`

// HelmRepository indexes a Helm chart repository, or names an OCI registry holding charts,
// for HelmCharts to pull from.
type HelmRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmRepositorySpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status HelmRepositoryStatus `json:"status,omitempty"`
}

// HelmRepositoryList is a list of HelmRepository objects.
// +kubebuilder:object:root=true
type HelmRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmRepository `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *HelmRepository) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *HelmRepository) IsSuspended() bool { return in.Spec.Suspend }

// GetArtifact returns status.artifact, or nil.
func (in *HelmRepository) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns spec.interval, or DefaultHelmRepositoryInterval when it is not set.
func (in *HelmRepository) GetRequeueAfter() time.Duration {
	if in.Spec.Interval.Duration == 0 {
		return DefaultHelmRepositoryInterval
	}
	return in.Spec.Interval.Duration
}

// GetTimeout returns spec.timeout, or DefaultTimeout when it is not set.
func (in *HelmRepository) GetTimeout() time.Duration { return timeoutOrDefault(in.Spec.Timeout) }

// IsOCI reports whether the repository is an OCI registry (spec.type oci).
func (in *HelmRepository) IsOCI() bool { return in.Spec.Type == HelmRepositoryTypeOCI }
