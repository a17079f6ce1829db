package s3server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// writeServerPair writes a server certificate and key into the server directory and
// returns the server's TLS flags.
func (s *Server) writeServerPair(ca *pki.CA) ([]string, error) {
	pair, err := ca.IssueServer()
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(s.dir, "tls.crt"), filepath.Join(s.dir, "tls.key")
	if err := os.WriteFile(certFile, pair.CertPEM, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the server certificate: %w", err)
	}
	if err := os.WriteFile(keyFile, pair.KeyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the server key: %w", err)
	}
	return []string{"--cert", certFile, "--key", keyFile}, nil
}

// startMutualTLS puts an HTTPS front that requires a client certificate signed by ca in
// front of the plain-HTTP server, makes it the server's endpoint and issues
// ClientCert/ClientKey.
func (s *Server) startMutualTLS(ca *pki.CA) error {
	server, err := ca.IssueServer()
	if err != nil {
		return err
	}
	client, err := ca.IssueClient("ferry s3server test client")
	if err != nil {
		return err
	}
	s.ClientCert, s.ClientKey = client.CertPEM, client.KeyPEM
	backend, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("failed to parse the server URL: %w", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig(server, true))
	if err != nil {
		return fmt.Errorf("failed to listen for mutual TLS: %w", err)
	}
	s.front = &http.Server{Handler: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backend)
		r.Out.Host = r.In.Host // the client signed its request for the front's host
	}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.front.Serve(ln) }()
	s.Endpoint, s.URL, s.CA = ln.Addr().String(), "https://"+ln.Addr().String(), ca.CertPEM
	return nil
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
