// Package verifytest signs OCI artifacts for the tests of signature verification with the
// libraries signers use: cosign's (cosign 2's signatures under the .sig tag, and cosign 3's
// Sigstore bundles) with keys or keyless certificates of a test Sigstore (a Fulcio-like
// certificate authority and an RFC 3161 timestamp authority on 127.0.0.1), and notation-go's
// (Notary Project signatures as OCI referrers).
package verifytest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// cert is a certificate and its key.
type cert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newKey returns a new ECDSA P-256 key.
func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// issue signs tmpl for pub with parent (self-signed when parent is nil, then key is pub's).
func issue(tb testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey, parent *cert, key *ecdsa.PrivateKey) *x509.Certificate {
	tb.Helper()
	if parent == nil {
		parent = &cert{cert: tmpl, key: key}
	}
	c, err := issueFor(tmpl, pub, parent)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// issueFor signs tmpl for pub with parent, valid from an hour ago for a day unless tmpl says.
func issueFor(tmpl *x509.Certificate, pub crypto.PublicKey, parent *cert) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, pub, parent.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// newCA returns a self-signed certificate authority named cn.
func newCA(tb testing.TB, cn string) *cert {
	tb.Helper()
	key := newKey(tb)
	c := issue(tb, &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Ferry Test"}, Country: []string{"US"}, Province: []string{"WA"}},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, &key.PublicKey, nil, key)
	return &cert{cert: c, key: key}
}

// newIntermediate returns a certificate authority named cn signed by parent.
func newIntermediate(tb testing.TB, cn string, parent *cert, eku ...x509.ExtKeyUsage) *cert {
	tb.Helper()
	key := newKey(tb)
	c := issue(tb, &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Ferry Test"}},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, &key.PublicKey, parent, nil)
	return &cert{cert: c, key: key}
}

// certPEM encodes certificates as PEM.
func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
