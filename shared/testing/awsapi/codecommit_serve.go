package awsapi

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// CodeCommit is a CodeCommitFront that a client reaches by CodeCommit's hostnames: through
// a tunnelling proxy, trusting the authority that issued the front's certificate.
type CodeCommit struct {
	*CodeCommitFront
	// CA is the PEM certificate of the authority of the front's certificate, as the ca.crt of
	// a GitRepository's Secret.
	CA []byte
	// Proxy tunnels the hostnames to the front (a GitRepository's spec.proxySecretRef
	// address).
	Proxy *httpproxy.Proxy

	ca *pki.CA
}

// ServeCodeCommit starts, for the rest of the test, a CodeCommitFront in front of backend
// (see CodeCommitFront) with a certificate for hosts (CodeCommit hostnames such as
// git-codecommit.us-east-1.amazonaws.com) from a new authority, and a proxy that tunnels
// those hosts to it.
func (s *Server) ServeCodeCommit(t testing.TB, backend string, hosts ...string) *CodeCommit {
	t.Helper()
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	front, err := s.CodeCommitFront(backend, pair.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(front.Close)
	routes := make(map[string]string, len(hosts))
	for _, h := range hosts {
		routes[h] = front.Addr()
	}
	return &CodeCommit{CodeCommitFront: front, CA: ca.CertPEM, Proxy: httpproxy.NewTunnel(t, routes), ca: ca}
}

// Client returns an HTTP client that reaches the front by its hostnames, through the proxy,
// trusting its authority only.
func (c *CodeCommit) Client(t testing.TB) *http.Client {
	t.Helper()
	proxy, err := url.Parse(c.Proxy.URL())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: c.ca.ClientConfig(nil)}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
