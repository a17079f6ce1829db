// Package pki makes throw-away certificate authorities for tests: a fresh self-signed CA
// issues server certificates for 127.0.0.1 and localhost (or the hosts a test names) and
// client certificates for mutual TLS, as tls.Certificate values for in-process servers and
// as PEM for the Secrets and files that the code under test reads.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// organization is the subject organization of every certificate the package makes.
const organization = "Ferry tests"

// validity is how long certificates stay valid; they start an hour in the past so that
// small clock differences between processes do not matter.
const validity = 24 * time.Hour

// CA is a self-signed certificate authority; it is safe for concurrent use.
type CA struct {
	// Cert is the CA's parsed certificate.
	Cert *x509.Certificate
	// CertPEM is the CA's certificate as PEM, as a ca.crt of a Secret or a --ca-file.
	CertPEM []byte

	key *ecdsa.PrivateKey
}

// Pair is a certificate issued by a CA and its private key.
type Pair struct {
	// Certificate is the pair loaded for a tls.Config.
	Certificate tls.Certificate
	// CertPEM and KeyPEM are the certificate and the private key as PEM (the key as an
	// "EC PRIVATE KEY" block).
	CertPEM, KeyPEM []byte
}

// NewCA makes a new self-signed CA with a P-256 key.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate the CA key: %w", err)
	}
	tmpl, err := template("Ferry test CA")
	if err != nil {
		return nil, err
	}
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("failed to create the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the CA certificate: %w", err)
	}
	return &CA{Cert: cert, CertPEM: encode("CERTIFICATE", der), key: key}, nil
}

// Pool returns a new certificate pool holding only the CA, for RootCAs or ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// IssueServer issues a server certificate for hosts (IP addresses or DNS names); without
// hosts it is for 127.0.0.1 and localhost. The first host is the subject's common name.
func (ca *CA) IssueServer(hosts ...string) (*Pair, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	tmpl, err := template(hosts[0])
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return ca.issue(tmpl)
}

// IssueClient issues a client certificate with the common name cn, for mutual TLS.
func (ca *CA) IssueClient(cn string) (*Pair, error) {
	tmpl, err := template(cn)
	if err != nil {
		return nil, err
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.issue(tmpl)
}

// ServerConfig returns a TLS configuration that serves server and, when requireClient is
// set, requires a client certificate signed by the CA.
func (ca *CA) ServerConfig(server *Pair, requireClient bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{server.Certificate}, MinVersion: tls.VersionTLS12}
	if requireClient {
		cfg.ClientCAs, cfg.ClientAuth = ca.Pool(), tls.RequireAndVerifyClientCert
	}
	return cfg
}

// ClientConfig returns a TLS configuration that trusts only the CA and presents client
// when it is not nil.
func (ca *CA) ClientConfig(client *Pair) *tls.Config {
	cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
	if client != nil {
		cfg.Certificates = []tls.Certificate{client.Certificate}
	}
	return cfg
}

// issue signs tmpl for a new P-256 key.
func (ca *CA) issue(tmpl *x509.Certificate) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate a key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the certificate of %s: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the key of %s: %w", tmpl.Subject.CommonName, err)
	}
	p := &Pair{CertPEM: encode("CERTIFICATE", der), KeyPEM: encode("EC PRIVATE KEY", keyDER)}
	if p.Certificate, err = tls.X509KeyPair(p.CertPEM, p.KeyPEM); err != nil {
		return nil, fmt.Errorf("failed to load the certificate of %s: %w", tmpl.Subject.CommonName, err)
	}
	return p, nil
}

// template is a certificate for cn with a random serial number, valid from an hour ago.
func template(cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("failed to generate a serial number: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{organization}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}, nil
}

func encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// NewServer makes a new CA and a server certificate it issued for 127.0.0.1 and localhost,
// failing the test if it cannot.
func NewServer(t testing.TB) (*CA, *Pair) {
	t.Helper()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer()
	if err != nil {
		t.Fatal(err)
	}
	return ca, pair
}

// TrustedServer makes a CA that the code under test trusts for the rest of the test, through
// a test hook: the environment variable caEnv names a file holding the CA's certificate (added
// to the file it already names, so that the CAs of earlier calls stay trusted). It returns a
// server certificate the CA issued for 127.0.0.1.
func TrustedServer(t testing.TB, caEnv string) tls.Certificate {
	t.Helper()
	ca, pair := NewServer(t)
	caFile := os.Getenv(caEnv)
	if _, err := os.Stat(caFile); caFile == "" || err != nil {
		caFile = filepath.Join(t.TempDir(), "ca.crt")
		t.Setenv(caEnv, caFile)
	}
	f, err := os.OpenFile(caFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = f.Write(ca.CertPEM)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		t.Fatal(err)
	}
	return pair.Certificate
}
