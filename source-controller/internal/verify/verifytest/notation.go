package verifytest

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

// Notary is a Notary Project signer for tests: a certificate authority and a code-signing
// certificate it issued, signing with notation-go.
type Notary struct {
	ca   *cert
	leaf *cert
	// CACertPEM is the certificate of the authority, for the verifier's trust store.
	CACertPEM []byte
}

// NewNotary makes a certificate authority and a code-signing certificate named cn.
func NewNotary(tb testing.TB, cn string) *Notary {
	tb.Helper()
	ca := newCA(tb, cn+" CA")
	key := newKey(tb)
	leaf := issue(tb, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: []string{"Ferry Test"}, Country: []string{"US"}, Province: []string{"WA"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, &key.PublicKey, ca, nil)
	return &Notary{ca: ca, leaf: &cert{cert: leaf, key: key}, CACertPEM: certPEM(ca.cert)}
}

// Sign signs ref as `notation sign` does: a JWS envelope pushed as a referrer of the artifact
// over plain HTTP (to the registry's referrers API, or its referrers tag schema where it has
// none).
func (n *Notary) Sign(tb testing.TB, ref name.Digest) {
	tb.Helper()
	repo, err := orasremote.NewRepository(ref.Context().Name())
	if err != nil {
		tb.Fatal(err)
	}
	repo.PlainHTTP = true
	s, err := signer.NewGenericSigner(n.leaf.key, []*x509.Certificate{n.leaf.cert, n.ca.cert})
	if err != nil {
		tb.Fatal(err)
	}
	_, err = notation.Sign(context.Background(), s, notationregistry.NewRepository(repo), notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: jws.MediaTypeEnvelope},
		ArtifactReference: ref.String(),
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TrustPolicy is a trustpolicy.json with one statement for every registry (scope "*") at
// level (strict, permissive, audit or skip), trusting the store ca:ferry for any identity.
func TrustPolicy(level string) []byte {
	return []byte(fmt.Sprintf(`{"version":"1.0","trustPolicies":[{"name":"ferry-test","registryScopes":["*"],`+
		`"signatureVerification":{"level":%q},"trustStores":["ca:ferry"],"trustedIdentities":["*"]}]}`, level))
}
