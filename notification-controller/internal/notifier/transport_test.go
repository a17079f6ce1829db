package notifier

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/notification-controller/internal/proxytest"
	"github.com/ferry-gitops/ferry/shared/secrets"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// TestCertSecretRef: a service whose certificate a private CA signed, and which asks for a
// client certificate, is reached with the CA and client pair of the Provider's cert Secret,
// and not without them.
func TestCertSecretRef(t *testing.T) {
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.IssueServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	clientPair, err := ca.IssueClient("notification-controller")
	if err != nil {
		t.Fatal(err)
	}
	s := &service{requests: make(chan error, 4)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests <- expect(len(r.TLS.PeerCertificates) == 1, "no client certificate")
		w.WriteHeader(http.StatusOK)
	}))
	s.TLS = ca.ServerConfig(server, true)
	s.StartTLS()
	t.Cleanup(s.Close)

	tlsCfg, err := secrets.TLSConfig(map[string][]byte{"ca.crt": ca.CertPEM, "tls.crt": clientPair.CertPEM, "tls.key": clientPair.KeyPEM})
	if err != nil {
		t.Fatal(err)
	}
	post(t, s, Config{Type: "generic", Address: s.URL, TLS: tlsCfg}, sampleEvent("info"), 1)

	n, err := New(Config{Type: "generic", Address: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), sampleEvent("info")); err == nil {
		t.Fatal("a server signed by an unknown CA was trusted")
	}
}

// TestProxy: requests go through the Provider's proxy, with the proxy's credentials.
func TestProxy(t *testing.T) {
	target := newService(t, func(r *http.Request, _ []byte) (int, string, error) { return http.StatusOK, "", nil })
	proxy := proxytest.New(t, "px", "pw")
	u, err := secrets.ProxyURL(map[string][]byte{"address": []byte(proxy.URL), "username": []byte("px"), "password": []byte("pw")})
	if err != nil {
		t.Fatal(err)
	}
	post(t, target, Config{Type: "generic", Address: target.URL + "/hook", Proxy: u}, sampleEvent("info"), 1)
	if proxy.Used() != 1 {
		t.Fatalf("%d requests went through the proxy, want 1", proxy.Used())
	}
	wrong, _ := url.Parse(proxy.URL)
	n, err := New(Config{Type: "generic", Address: target.URL + "/hook", Proxy: wrong})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), sampleEvent("info")); err == nil {
		t.Fatal("the proxy let a request without credentials through")
	}
}

// TestTimeout: a service slower than the Provider's timeout fails the request, in a way
// worth a retry.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	n, err := New(Config{Type: "generic", Address: slow.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), sampleEvent("info")); err == nil || !Retryable(err) {
		t.Fatalf("Post = %v, want a timeout worth a retry", err)
	}
}
