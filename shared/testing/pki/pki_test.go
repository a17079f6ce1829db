package pki_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestIssueServerNames(t *testing.T) {
	ca := newCA(t)
	for _, tc := range []struct {
		name      string
		hosts     []string
		valid     []string
		invalid   []string
		wantIPs   int
		wantNames int
	}{
		{name: "default", valid: []string{"127.0.0.1", "localhost"}, invalid: []string{"::1", "example.com"}, wantIPs: 1, wantNames: 1},
		{name: "ip and name", hosts: []string{"::1", "registry.test"}, valid: []string{"::1", "registry.test"}, invalid: []string{"127.0.0.1", "localhost"}, wantIPs: 1, wantNames: 1},
		{name: "names only", hosts: []string{"a.test", "b.test"}, valid: []string{"a.test", "b.test"}, invalid: []string{"127.0.0.1"}, wantNames: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ca.IssueServer(tc.hosts...)
			if err != nil {
				t.Fatal(err)
			}
			cert := parse(t, p.CertPEM)
			if len(cert.IPAddresses) != tc.wantIPs || len(cert.DNSNames) != tc.wantNames {
				t.Errorf("IPs %v, names %v: want %d and %d", cert.IPAddresses, cert.DNSNames, tc.wantIPs, tc.wantNames)
			}
			for _, h := range tc.valid {
				opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: h, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
				if _, err := cert.Verify(opts); err != nil {
					t.Errorf("verify for %s: %v", h, err)
				}
			}
			for _, h := range tc.invalid {
				if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: h}); err == nil {
					t.Errorf("verify for %s succeeded, want a name mismatch", h)
				}
			}
		})
	}
}

func TestIssueClientIsForClientAuthOnly(t *testing.T) {
	ca := newCA(t)
	p, err := ca.IssueClient("alice")
	if err != nil {
		t.Fatal(err)
	}
	cert := parse(t, p.CertPEM)
	if cert.Subject.CommonName != "alice" {
		t.Errorf("common name %q, want alice", cert.Subject.CommonName)
	}
	client := x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := cert.Verify(client); err != nil {
		t.Errorf("verify as a client: %v", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool()}); err == nil {
		t.Error("verify as a server succeeded, want an usage error")
	}
	if _, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM); err != nil {
		t.Errorf("the PEM pair does not load: %v", err)
	}
	if b, _ := pem.Decode(p.KeyPEM); b == nil || b.Type != "EC PRIVATE KEY" {
		t.Errorf("key PEM %q: want an EC PRIVATE KEY block", p.KeyPEM)
	}
}

func TestCAsAreIndependent(t *testing.T) {
	a, b := newCA(t), newCA(t)
	if a.Cert.SerialNumber.Cmp(b.Cert.SerialNumber) == 0 {
		t.Error("two CAs share a serial number")
	}
	p, err := a.IssueServer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parse(t, p.CertPEM).Verify(x509.VerifyOptions{Roots: b.Pool(), DNSName: "127.0.0.1"}); err == nil {
		t.Error("another CA trusts the certificate")
	}
	if !parse(t, a.CertPEM).Equal(a.Cert) {
		t.Error("CertPEM is not Cert")
	}
}

func TestMutualTLSHandshake(t *testing.T) {
	ca := newCA(t)
	server, err := ca.IssueServer()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig(server, true))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "https://" + ln.Addr().String()

	get := func(cfg *tls.Config) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		defer c.CloseIdleConnections()
		resp, err := c.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	client, err := ca.IssueClient("bob")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(ca.ClientConfig(client)); err != nil || got != "bob" {
		t.Errorf("with the client certificate: %q, %v; want bob", got, err)
	}
	if _, err := get(ca.ClientConfig(nil)); err == nil {
		t.Error("without a client certificate: the server accepted the request")
	}
	other := newCA(t)
	stranger, err := other.IssueClient("mallory")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.ClientConfig(nil)
	cfg.Certificates = []tls.Certificate{stranger.Certificate}
	if _, err := get(cfg); err == nil {
		t.Error("with another CA's client certificate: the server accepted the request")
	}
	if _, err := get(other.ClientConfig(client)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("trusting another CA: %v, want a certificate error", err)
	}
}

func TestServerConfigWithoutClientAuth(t *testing.T) {
	ca := newCA(t)
	server, err := ca.IssueServer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.ServerConfig(server, false)
	if cfg.ClientAuth != tls.NoClientCert || cfg.ClientCAs != nil {
		t.Errorf("client auth %v: want none", cfg.ClientAuth)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), ca.ClientConfig(nil))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	_ = conn.Close()
}

func parse(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", certPEM)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
