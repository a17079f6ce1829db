package v1

import "github.com/ferry-gitops/ferry/shared/api/meta"

// Signature verification providers of OCI artifacts and OCI Helm charts (spec.verify.provider).
const (
	// VerificationProviderCosign verifies Sigstore cosign signatures, with keys or keyless.
	VerificationProviderCosign string = "cosign"
	// VerificationProviderNotation verifies Notary Project (notation) signatures.
	VerificationProviderNotation string = "notation"
)

// OCIRepositoryVerification says how to verify the signature of an OCI artifact; HelmChart
// uses it too for charts from OCI Helm repositories.
type OCIRepositoryVerification struct {
	// Provider is the signing technology: cosign or notation.
	// +kubebuilder:validation:Enum=cosign;notation
	// +kubebuilder:default:=cosign
	Provider string `json:"provider"`

	// SecretRef names a Secret with the trusted public keys (cosign) or the trust policy and
	// certificates (notation). Without it, cosign verifies keyless signatures.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// MatchOIDCIdentity lists the accepted signer identities of keyless cosign signatures;
	// a signature is accepted when any entry matches its certificate.
	// +optional
	MatchOIDCIdentity []OIDCIdentityMatch `json:"matchOIDCIdentity,omitempty"`

	// TrustedRootSecretRef names a Secret whose trusted_root.json key holds a Sigstore trusted
	// root, for verifying against a private Sigstore deployment (own Fulcio, Rekor, TSA).
	// +optional
	TrustedRootSecretRef *meta.LocalObjectReference `json:"trustedRootSecretRef,omitempty"`
}

// OIDCIdentityMatch accepts keyless signatures whose certificate issuer and subject match
// the given Go regular expressions.
type OIDCIdentityMatch struct {
	// Issuer is a regular expression matched against the OIDC issuer of the certificate.
	// +required
	Issuer string `json:"issuer"`

	// Subject is a regular expression matched against the identity in the certificate.
	// +required
	Subject string `json:"subject"`
}
