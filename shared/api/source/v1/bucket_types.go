package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// BucketKind is the kind name of Bucket.
const BucketKind = "Bucket"

// Providers of a Bucket (spec.provider).
const (
	// BucketProviderGeneric is any S3-compatible object storage; it is the default.
	BucketProviderGeneric string = "generic"
	// BucketProviderAmazon is AWS S3, with credentials from the instance or workload identity.
	BucketProviderAmazon string = "aws"
	// BucketProviderGoogle is Google Cloud Storage, with workload identity.
	BucketProviderGoogle string = "gcp"
	// BucketProviderAzure is Azure Blob Storage, with a service principal, managed identity
	// or shared key.
	BucketProviderAzure string = "azure"
)

// Security Token Service providers of a Bucket (spec.sts.provider).
const (
	// STSProviderAmazon is the AWS Security Token Service, for the aws Bucket provider.
	STSProviderAmazon string = "aws"
	// STSProviderLDAP is an LDAP-backed STS such as MinIO's, for the generic Bucket provider.
	STSProviderLDAP string = "ldap"
)

// BucketSpec says which object storage bucket to fetch and how to pack it into an artifact.
// +kubebuilder:validation:XValidation:rule="self.provider == 'aws' || self.provider == 'generic' || !has(self.sts)",message="STS configuration is only supported for the 'aws' and 'generic' Bucket providers"
// +kubebuilder:validation:XValidation:rule="self.provider != 'aws' || !has(self.sts) || self.sts.provider == 'aws'",message="'aws' is the only supported STS provider for the 'aws' Bucket provider"
// +kubebuilder:validation:XValidation:rule="self.provider != 'generic' || !has(self.sts) || self.sts.provider == 'ldap'",message="'ldap' is the only supported STS provider for the 'generic' Bucket provider"
// +kubebuilder:validation:XValidation:rule="!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.secretRef)",message="spec.sts.secretRef is not required for the 'aws' STS provider"
// +kubebuilder:validation:XValidation:rule="!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.certSecretRef)",message="spec.sts.certSecretRef is not required for the 'aws' STS provider"
// +kubebuilder:validation:XValidation:rule="self.provider != 'generic' || !has(self.serviceAccountName)",message="ServiceAccountName is not supported for the 'generic' Bucket provider"
// +kubebuilder:validation:XValidation:rule="!has(self.secretRef) || !has(self.serviceAccountName)",message="cannot set both .spec.secretRef and .spec.serviceAccountName"
type BucketSpec struct {
	// Provider of the object storage: generic (any S3-compatible API), aws, gcp or azure.
	// +kubebuilder:validation:Enum=generic;aws;gcp;azure
	// +kubebuilder:default:=generic
	// +optional
	Provider string `json:"provider,omitempty"`

	// BucketName is the name of the bucket.
	// +required
	BucketName string `json:"bucketName"`

	// Endpoint is the address of the object storage, such as s3.amazonaws.com.
	// +required
	Endpoint string `json:"endpoint"`

	// STS configures a Security Token Service to get temporary credentials from; supported
	// for the aws and generic providers only.
	// +optional
	STS *BucketSTSSpec `json:"sts,omitempty"`

	// Insecure allows plain HTTP to the endpoint.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// Region of the bucket.
	// +optional
	Region string `json:"region,omitempty"`

	// Prefix limits the listing to object keys that start with it (filtered by the server).
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// SecretRef names a Secret with the credentials of the bucket.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is the ServiceAccount whose workload identity is used; supported
	// for the aws, gcp and azure providers, not with spec.secretRef.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names a Secret (type Opaque or kubernetes.io/tls) with a client
	// certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt) for TLS to the
	// endpoint; supported for the generic provider only.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// ProxySecretRef names a Secret with the proxy (address, username, password) to reach
	// the endpoint through.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// Interval between two checks of the bucket for changes.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +required
	Interval metav1.Duration `json:"interval"`

	// Timeout of the listing and download operations.
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Ignore holds .sourceignore-style (gitignore syntax) patterns of objects to leave out
	// of the artifact; it replaces the default patterns.
	// +optional
	Ignore *string `json:"ignore,omitempty"`

	// Suspend stops reconciliation of this object while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// BucketSTSSpec configures the Security Token Service a Bucket gets temporary credentials
// from.
type BucketSTSSpec struct {
	// Provider of the STS: aws or ldap.
	// +kubebuilder:validation:Enum=aws;ldap
	// +required
	Provider string `json:"provider"`

	// Endpoint is the HTTP(S) address of the STS.
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	// +required
	Endpoint string `json:"endpoint"`

	// SecretRef names a Secret with the username and password for the STS; ldap only.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// CertSecretRef names a Secret (type Opaque or kubernetes.io/tls) with a client
	// certificate and key (tls.crt, tls.key) and/or a CA certificate (ca.crt) for TLS to the
	// STS; ldap only.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`
}

// BucketStatus is the observed state of a Bucket.
type BucketStatus struct {
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
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`

// Bucket fetches the objects of an object storage bucket and publishes them as an artifact.
type Bucket struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BucketSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status BucketStatus `json:"status,omitempty"`
}

// BucketList is a list of Bucket objects.
// +kubebuilder:object:root=true
type BucketList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Bucket `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *Bucket) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether spec.suspend is set.
func (in *Bucket) IsSuspended() bool { return in.Spec.Suspend }

// GetArtifact returns status.artifact, or nil.
func (in *Bucket) GetArtifact() *meta.Artifact { return in.Status.Artifact }

// GetRequeueAfter returns spec.interval.
func (in *Bucket) GetRequeueAfter() time.Duration { return in.Spec.Interval.Duration }

// GetTimeout returns spec.timeout, or DefaultTimeout when it is not set.
func (in *Bucket) GetTimeout() time.Duration { return timeoutOrDefault(in.Spec.Timeout) }
