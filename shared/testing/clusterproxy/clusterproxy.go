// Package clusterproxy is a managed Kubernetes front end for tests: an HTTPS server on
// 127.0.0.1 that, as the API server of AKS, GKE or EKS does, accepts only a bearer token of
// its cloud's identity service (the local servers of azureapi, gcpapi and awsapi), and
// forwards each request to a test API server as its administrator, impersonating the user
// the token maps to. Requests that already impersonate someone are refused: who may
// impersonate whom is not modelled. Only tests import it.
package clusterproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// Authenticate maps a bearer token to the user it authenticates, or returns an error saying
// why the token is refused.
type Authenticate func(token string) (user string, err error)

// Proxy is a running front end.
type Proxy struct {
	// URL is the https:// address to give clients.
	URL string
	// CACert is the PEM certificate of the authority that issued the proxy's certificate.
	CACert []byte

	accepted, refused atomic.Int64
}

// New starts a front end for the API server that admin reaches (as an administrator, who may
// impersonate), accepting the tokens auth accepts. It stops when the test ends.
func New(t testing.TB, admin *rest.Config, auth Authenticate) *Proxy {
	t.Helper()
	upstream, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(admin)
	if err != nil {
		t.Fatal(err)
	}
	ca, pair := pki.NewServer(t)
	p := &Proxy{CACert: ca.CertPEM}
	forward := &httputil.ReverseProxy{
		Transport:     transport,
		FlushInterval: -1, // watches stream
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Host = upstream.Host
		},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := p.authenticate(r, auth)
		if err != nil {
			p.refused.Add(1)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		p.accepted.Add(1)
		r.Header.Del("Authorization")
		r.Header.Set("Impersonate-User", user)
		forward.ServeHTTP(w, r)
	}))
	srv.TLS = ca.ServerConfig(pair, false)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// authenticate returns the user of the request's bearer token.
func (p *Proxy) authenticate(r *http.Request, auth Authenticate) (string, error) {
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "impersonate-") {
			return "", fmt.Errorf("impersonation through the front end is not modelled")
		}
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return "", fmt.Errorf("no bearer token")
	}
	return auth(token)
}

// Accepted is the number of requests forwarded.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Refused is the number of requests refused.
func (p *Proxy) Refused() int64 { return p.refused.Load() }
