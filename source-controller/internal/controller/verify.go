package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify"
)

// publicSigstore is the refusal of keyless cosign verification without a trusted root, for
// objects of kind.
func publicSigstore(kind string) error {
	return fmt.Errorf("keyless verification of %s signatures against the public Sigstore instance is not supported by Ferry: "+
		"set spec.verify.secretRef to a Secret of cosign public keys (keys ending in .pub), or spec.verify.trustedRootSecretRef "+
		"to a Secret whose trusted_root.json is the Sigstore trusted root keyless signatures are checked against, offline", kind)
}

// CheckOCIVerification returns why spec.verify v of an object of kind (OCIRepository or
// HelmChart) can never work as written (the object stalls with UnsupportedSpec), or nil.
func CheckOCIVerification(kind string, v *sourcev1.OCIRepositoryVerification) error {
	if v == nil {
		return nil
	}
	switch v.Provider {
	case sourcev1.VerificationProviderNotation:
		switch {
		case v.SecretRef == nil:
			return errors.New("spec.verify.secretRef is required by provider notation: it names the Secret of trustpolicy.json and the certificates")
		case len(v.MatchOIDCIdentity) > 0 || v.TrustedRootSecretRef != nil:
			return errors.New("spec.verify.matchOIDCIdentity and spec.verify.trustedRootSecretRef apply to provider cosign only: remove them")
		}
	case sourcev1.VerificationProviderCosign, "":
		switch {
		case v.SecretRef == nil && v.TrustedRootSecretRef == nil:
			return publicSigstore(kind)
		case v.SecretRef != nil && v.TrustedRootSecretRef != nil:
			return errors.New("spec.verify.secretRef (public keys) and spec.verify.trustedRootSecretRef (keyless) cannot be set together: keep one")
		case v.SecretRef != nil && len(v.MatchOIDCIdentity) > 0:
			return errors.New("spec.verify.matchOIDCIdentity applies to keyless signatures, not to public keys: remove it, or spec.verify.secretRef")
		}
	default:
		return fmt.Errorf("spec.verify.provider '%s' is not supported: use cosign or notation", v.Provider)
	}
	return nil
}

// VerifiedAt reports whether obj's artifact was verified under its current spec: SourceVerified
// is True and was set at the object's generation. An artifact verified so is not checked again
// until its revision or the spec changes.
func VerifiedAt(obj fluxmeta.StatusObject) bool {
	c := conditions.Get(obj, sourcev1.SourceVerifiedCondition)
	return c != nil && c.Status == "True" && c.ObservedGeneration == obj.GetGeneration()
}

// VerifyOCIArtifact checks the signature of the artifact ref names (by digest, whose revision
// is revision) as spec.verify v asks, with the Secrets it names read through c, reaching the
// registry as reg says. It sets SourceVerified: True with the verified revision and how it was
// verified; False with VerificationError, and a failure retried with back-off, when no trusted
// signature is found or the Secrets cannot be used (they may change). A trust policy that does
// not enforce verification removes the condition and lets the artifact through.
func VerifyOCIArtifact(ctx context.Context, c client.Reader, obj fluxmeta.StatusObject, v *sourcev1.OCIRepositoryVerification,
	revision string, ref name.Digest, reg verify.Registry) reconcile.Result {
	provider := v.Provider
	if provider == sourcev1.VerificationProviderCosign && v.SecretRef == nil {
		provider += " keyless"
	}
	fail := func(err error) reconcile.Result {
		err = fmt.Errorf("failed to verify the signature of revision '%s' using provider '%s': %w", revision, provider, err)
		conditions.MarkFalse(obj, sourcev1.SourceVerifiedCondition, sourcev1.VerificationErrorReason, err.Error())
		return reconcile.Transient(sourcev1.VerificationErrorReason, err)
	}
	verifier, err := newVerifier(ctx, c, obj.GetNamespace(), v, reg)
	if err != nil {
		return fail(err)
	}
	out, err := verifier.Verify(ctx, ref)
	if err != nil {
		return fail(err)
	}
	if !out.Verified {
		conditions.Delete(obj, sourcev1.SourceVerifiedCondition)
		return reconcile.Done("", "")
	}
	conditions.MarkTrue(obj, sourcev1.SourceVerifiedCondition, fluxmeta.SucceededReason,
		fmt.Sprintf("verified signature of revision '%s' with %s", revision, out.Detail))
	return reconcile.Done("", "")
}

// newVerifier builds the verifier spec.verify v asks for from the Secrets it names.
func newVerifier(ctx context.Context, c client.Reader, namespace string, v *sourcev1.OCIRepositoryVerification,
	reg verify.Registry) (verify.Verifier, error) {
	if v.Provider == sourcev1.VerificationProviderNotation {
		data, err := SecretData(ctx, c, namespace, v.SecretRef)
		if err != nil {
			return nil, err
		}
		policy, certs, err := verify.NotationFrom(data)
		if err != nil {
			return nil, err
		}
		return verify.NewNotation(policy, certs, reg)
	}
	if v.SecretRef != nil {
		data, err := SecretData(ctx, c, namespace, v.SecretRef)
		if err != nil {
			return nil, err
		}
		keys, err := verify.CosignKeysFrom(data)
		if err != nil {
			return nil, err
		}
		return verify.NewCosignKeys(keys, reg)
	}
	data, err := SecretData(ctx, c, namespace, v.TrustedRootSecretRef)
	if err != nil {
		return nil, err
	}
	root, err := verify.TrustedRootFrom(data)
	if err != nil {
		return nil, err
	}
	ids := make([]verify.Identity, 0, len(v.MatchOIDCIdentity))
	for _, m := range v.MatchOIDCIdentity {
		ids = append(ids, verify.Identity{Issuer: m.Issuer, Subject: m.Subject})
	}
	return verify.NewCosignKeyless(root, ids, reg)
}
