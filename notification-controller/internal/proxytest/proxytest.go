// Package proxytest runs a forward HTTP proxy on 127.0.0.1 for tests: it asks for basic
// credentials, tunnels CONNECT requests (https targets) and forwards absolute-form requests
// (http targets), and counts what it let through. Only tests import it.
package proxytest

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Proxy is a running forward proxy.
type Proxy struct {
	*httptest.Server
	used atomic.Int32
}

// New starts a proxy that accepts user and password, stopped when t ends.
func New(t testing.TB, user, password string) *Proxy {
	p := &Proxy{}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != want {
			http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
			return
		}
		p.used.Add(1)
		if r.Method == http.MethodConnect {
			tunnel(w, r)
			return
		}
		forward(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// Used returns how many requests the proxy let through.
func (p *Proxy) Used() int { return int(p.used.Load()) }

// forward sends an absolute-form request on and copies the answer back.
func forward(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequest(r.Method, r.URL.String(), r.Body)
	if err != nil || !r.URL.IsAbs() {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Proxy-Authorization")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnel connects the client to the CONNECT target.
func tunnel(w http.ResponseWriter, r *http.Request) {
	dst, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	src, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		dst.Close()
		return
	}
	go func() { _, _ = io.Copy(dst, src); dst.Close() }()
	go func() { _, _ = io.Copy(src, dst); src.Close() }()
}
