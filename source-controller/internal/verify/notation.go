package verify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	_ "github.com/notaryproject/notation-core-go/signature/cose" // COSE signature envelopes
	_ "github.com/notaryproject/notation-core-go/signature/jws"  // JWS signature envelopes
	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
)

// maxSignatureAttempts bounds how many signatures of one artifact notation evaluates.
const maxSignatureAttempts = 50

// Certificate is a trusted certificate of notation's trust store.
type Certificate struct {
	// Name says where the certificate came from (its Secret key), for messages.
	Name string
	// Data is one or more PEM certificates, or one DER certificate.
	Data []byte
}

// Notation verifies Notary Project signatures (attached as OCI referrers of artifact type
// application/vnd.cncf.notary.signature) with a trust policy and the certificates of its
// trust stores.
type Notation struct {
	reg      Registry
	verifier notation.Verifier
}

// NewNotation returns a verifier of the trust policy document policy (trustpolicy.json), whose
// trust stores, whatever their type and name, hold certs: all of them, as in Flux.
func NewNotation(policy []byte, certs []Certificate, reg Registry) (*Notation, error) {
	doc := &trustpolicy.Document{}
	if err := json.Unmarshal(policy, doc); err != nil {
		return nil, fmt.Errorf("%w: failed to parse the notation trust policy: %v", ErrInvalidConfig, err)
	}
	// A statement that skips verification needs no trust store nor identity, and notation
	// refuses one that names some.
	for i, p := range doc.TrustPolicies {
		if p.SignatureVerification.VerificationLevel == trustpolicy.LevelSkip.Name {
			doc.TrustPolicies[i].TrustStores, doc.TrustPolicies[i].TrustedIdentities = nil, nil
		}
	}
	store := trustStore{}
	for _, c := range certs {
		parsed, err := parseCertificates(c.Data)
		if err != nil {
			return nil, fmt.Errorf("%w: failed to parse the certificate '%s': %v", ErrInvalidConfig, c.Name, err)
		}
		store = append(store, parsed...)
	}
	v, err := verifier.New(doc, store, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid notation trust policy: %v", ErrInvalidConfig, err)
	}
	return &Notation{reg: reg, verifier: v}, nil
}

// Verify checks the notation signatures of ref with the trust policy statement whose
// registry scope holds ref's repository.
func (n *Notation) Verify(ctx context.Context, ref name.Digest) (Outcome, error) {
	repo := &notationRepository{reg: n.reg, repo: ref.Context()}
	_, outcomes, err := notation.Verify(ctx, n.verifier, repo, notation.VerifyOptions{
		ArtifactReference:    ref.String(),
		MaxSignatureAttempts: maxSignatureAttempts,
	})
	if err != nil {
		return Outcome{}, notVerified(err)
	}
	if len(outcomes) == 0 {
		return Outcome{}, notVerified(fmt.Errorf("no signature of %s was verified", ref))
	}
	o := outcomes[0]
	if o.VerificationLevel != nil && o.VerificationLevel.Name == trustpolicy.LevelSkip.Name {
		return Outcome{Detail: "the notation trust policy skips the verification of " + ref.Context().Name()}, nil
	}
	for _, r := range o.VerificationResults {
		// Under the audit and permissive levels a failed authenticity check is only logged.
		if r.Error != nil && r.Type == trustpolicy.TypeAuthenticity {
			return Outcome{Detail: fmt.Sprintf("the notation trust policy (level %s) only logs that the signature is not trusted: %v",
				o.VerificationLevel.Name, r.Error)}, nil
		}
	}
	detail := "notation signature"
	if o.EnvelopeContent != nil && len(o.EnvelopeContent.SignerInfo.CertificateChain) > 0 {
		detail += fmt.Sprintf(" of '%s'", o.EnvelopeContent.SignerInfo.CertificateChain[0].Subject)
	}
	return Outcome{Verified: true, Detail: detail}, nil
}

// trustStore holds the trusted certificates in memory: every named store of every type is
// the same set, as in Flux.
type trustStore []*x509.Certificate

// GetCertificates returns every trusted certificate.
func (s trustStore) GetCertificates(context.Context, truststore.Type, string) ([]*x509.Certificate, error) {
	if len(s) == 0 {
		return nil, errors.New("the trust store holds no certificate")
	}
	return s, nil
}

// parseCertificates reads PEM certificates, or one DER certificate.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, errors.New("no PEM or DER certificate")
	}
	return []*x509.Certificate{c}, nil
}
