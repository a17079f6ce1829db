// Package httpproxy runs a forward HTTP proxy on 127.0.0.1 for tests: it forwards plain-HTTP
// requests sent to it with absolute URLs, refuses CONNECT tunnels, and counts what it
// forwarded and the Proxy-Authorization it was given, so that a test can prove a client went
// through it with its credentials. Only tests import it.
package httpproxy

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
)

// Proxy is a running forward proxy.
type Proxy struct {
	srv       *httptest.Server
	forwarded atomic.Int64
	auth      atomic.Value
}

// New starts a proxy that is closed when the test ends.
func New(t testing.TB) *Proxy {
	t.Helper()
	p := &Proxy{}
	p.auth.Store("")
	fwd := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL = pr.In.URL // a forward proxy receives absolute URLs
		pr.Out.Header.Del("Proxy-Authorization")
	}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodConnect {
			http.Error(w, "no tunnels", http.StatusMethodNotAllowed)
			return
		}
		p.forwarded.Add(1)
		p.auth.Store(req.Header.Get("Proxy-Authorization"))
		fwd.ServeHTTP(w, req)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's address, http://127.0.0.1:<port>.
func (p *Proxy) URL() string { return p.srv.URL }

// URLWithUser is the proxy's address with user and password, as a client configures it.
func (p *Proxy) URLWithUser(user, password string) *url.URL {
	u, _ := url.Parse(p.srv.URL) // httptest's URL always parses
	u.User = url.UserPassword(user, password)
	return u
}

// Forwarded returns how many requests the proxy forwarded.
func (p *Proxy) Forwarded() int64 { return p.forwarded.Load() }

// LastAuthorization returns the Proxy-Authorization header of the last forwarded request.
func (p *Proxy) LastAuthorization() string { return p.auth.Load().(string) }
