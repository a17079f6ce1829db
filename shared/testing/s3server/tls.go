package s3server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// pki is a fresh certificate authority that issues the server's and clients' certificates.
type pki struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	caPEM []byte
}

func newPKI() (*pki, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate the CA key: %w", err)
	}
	tmpl := certTemplate(1, "ferry s3server test CA")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("failed to create the CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the CA certificate: %w", err)
	}
	return &pki{ca: ca, caKey: key, caPEM: pemBlock("CERTIFICATE", der)}, nil
}

// issue returns a new key and its certificate, for 127.0.0.1 when server is set and for
// client authentication otherwise, as PEM.
func (p *pki) issue(serial int64, server bool) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to generate a key: %w", err)
	}
	tmpl := certTemplate(serial, "ferry s3server test client")
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if server {
		tmpl = certTemplate(serial, "127.0.0.1")
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create a certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to encode a key: %w", err)
	}
	return pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", keyDER), nil
}

// writeServerPair writes a server certificate and key into the server directory and
// returns the server's TLS flags.
func (s *Server) writeServerPair(p *pki) ([]string, error) {
	cert, key, err := p.issue(2, true)
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(s.dir, "tls.crt"), filepath.Join(s.dir, "tls.key")
	if err := os.WriteFile(certFile, cert, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the server certificate: %w", err)
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the server key: %w", err)
	}
	return []string{"--cert", certFile, "--key", keyFile}, nil
}

// startMutualTLS puts an HTTPS front that requires a client certificate signed by p in
// front of the plain-HTTP server, makes it the server's endpoint and issues
// ClientCert/ClientKey.
func (s *Server) startMutualTLS(p *pki) error {
	cert, key, err := p.issue(2, true)
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return fmt.Errorf("failed to load the server certificate: %w", err)
	}
	if s.ClientCert, s.ClientKey, err = p.issue(3, false); err != nil {
		return err
	}
	backend, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("failed to parse the server URL: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		return fmt.Errorf("failed to listen for mutual TLS: %w", err)
	}
	s.front = &http.Server{Handler: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backend)
		r.Out.Host = r.In.Host // the client signed its request for the front's host
	}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.front.Serve(ln) }()
	s.Endpoint, s.URL, s.CA = ln.Addr().String(), "https://"+ln.Addr().String(), p.caPEM
	return nil
}

func certTemplate(serial int64, cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// HTTPClient returns an HTTP client that trusts the server's CA and presents the client
// certificate (when the server has them).
func (s *Server) HTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.CA != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.CA) {
			return nil, fmt.Errorf("failed to parse the S3 server's CA certificate")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if s.ClientCert != nil {
			pair, err := tls.X509KeyPair(s.ClientCert, s.ClientKey)
			if err != nil {
				return nil, fmt.Errorf("failed to load the client certificate: %w", err)
			}
			tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
		}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}
