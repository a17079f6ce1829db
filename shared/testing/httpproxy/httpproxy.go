// Package httpproxy runs forward HTTP proxies on 127.0.0.1 for tests. New forwards
// plain-HTTP requests sent to it with absolute URLs, refuses CONNECT tunnels, and counts what
// it forwarded and the Proxy-Authorization it was given, so that a test can prove a client
// went through it with its credentials. NewTunnel also opens CONNECT tunnels, but only to
// the hostnames of its routes, each to a local address instead of the real host, so that a
// client can reach a test server by a cloud service's hostname (its TLS certificate naming
// that host) without a resolver; it records the hostnames it tunnelled. Only tests import
// it.
package httpproxy

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a running forward proxy.
type Proxy struct {
	srv       *httptest.Server
	forwarded atomic.Int64
	auth      atomic.Value
	routes    map[string]string // hostname -> local address; nil refuses every tunnel; under mu

	mu        sync.Mutex
	tunnelled map[string]bool
	conns     map[closer]bool // open tunnel connections, closed with the proxy
}

// New starts a proxy that is closed when the test ends.
func New(t testing.TB) *Proxy {
	t.Helper()
	return start(t, nil)
}

// NewTunnel starts a proxy that is closed when the test ends and that, besides forwarding
// plain HTTP as New's does, answers `CONNECT host:port` for the hostnames (without port) of
// routes by dialling routes[host] (a 127.0.0.1:<port> address) instead and splicing the
// bytes both ways; it refuses other hosts with 403.
func NewTunnel(t testing.TB, routes map[string]string) *Proxy {
	t.Helper()
	copied := make(map[string]string, len(routes))
	for host, addr := range routes {
		copied[host] = addr
	}
	return start(t, copied)
}

// StartTunnel starts a tunnelling proxy with no routes yet (Route adds them), for a test
// binary's TestMain, which has no testing.TB: the caller must call Close.
func StartTunnel() *Proxy {
	return newProxy(map[string]string{})
}

// Route tunnels CONNECTs to hostname to addr (a 127.0.0.1:<port> address) from now on.
func (p *Proxy) Route(hostname, addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routes[hostname] = addr
}

// Close stops the proxy and its tunnels.
func (p *Proxy) Close() { p.close() }

// start starts a proxy with the tunnel routes (nil for none), closed when the test ends.
func start(t testing.TB, routes map[string]string) *Proxy {
	p := newProxy(routes)
	t.Cleanup(p.close)
	return p
}

// newProxy starts a proxy with the tunnel routes (nil for none).
func newProxy(routes map[string]string) *Proxy {
	p := &Proxy{routes: routes, tunnelled: map[string]bool{}, conns: map[closer]bool{}}
	p.auth.Store("")
	fwd := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL = pr.In.URL // a forward proxy receives absolute URLs
		pr.Out.Header.Del("Proxy-Authorization")
	}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodConnect {
			if p.routes == nil {
				http.Error(w, "no tunnels", http.StatusMethodNotAllowed)
				return
			}
			p.tunnel(w, req)
			return
		}
		p.forwarded.Add(1)
		p.auth.Store(req.Header.Get("Proxy-Authorization"))
		fwd.ServeHTTP(w, req)
	}))
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
