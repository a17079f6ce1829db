package verify

import (
	"errors"
	"testing"

	"github.com/ferry-gitops/ferry/source-controller/internal/verify/verifytest"
)

// FuzzNewNotation reads a notation trust policy document and a trust store certificate from
// a Secret or ConfigMap (spec.verify.secretRef). Whatever they hold: no panic; a refusal is
// an ErrInvalidConfig (the object stalls until its spec changes rather than retrying), and
// a certificate that is neither PEM nor DER never makes a verifier.
func FuzzNewNotation(f *testing.F) {
	notary := verifytest.NewNotary(f, "fuzz")
	for _, level := range []string{"strict", "audit", "skip"} {
		f.Add(verifytest.TrustPolicy(level), notary.CACertPEM)
	}
	f.Add([]byte(`{"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],"signatureVerification":{"level":"skip"},"trustStores":["ca:x"]}]}`), []byte("x"))
	f.Add([]byte("{"), notary.CACertPEM)
	f.Add([]byte("null"), []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, policy, cert []byte) {
		n, err := NewNotation(policy, []Certificate{{Name: "ca.crt", Data: cert}}, Registry{})
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewNotation: %v is not an ErrInvalidConfig", err)
			}
			return
		}
		if n == nil || n.verifier == nil {
			t.Fatal("NewNotation returned no verifier and no error")
		}
		if _, err := parseCertificates(cert); err != nil {
			t.Fatalf("a verifier was made with the certificate %q, which does not parse: %v", cert, err)
		}
	})
}
