package s3server

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Request is one request a Proxy forwarded.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Bucket and Key are the path-style bucket and object key; Key is empty for requests on
	// the bucket itself (listings, existence checks).
	Bucket, Key string
	// Query is the raw query string.
	Query string
}

// Proxy is a plain-HTTP reverse proxy on 127.0.0.1 in front of a plain-HTTP Server that
// records every request, so tests can count what a client fetched. Signatures stay valid
// because the Host header is passed through unchanged.
type Proxy struct {
	// Endpoint is the proxy's host:port, to use in place of the server's.
	Endpoint string

	srv  *http.Server
	mu   sync.Mutex
	reqs []Request
}

// NewProxy starts a recording proxy in front of s, which must not use TLS. Close stops it.
func NewProxy(s *Server) (*Proxy, error) {
	if s.CA != nil {
		return nil, fmt.Errorf("failed to start the S3 proxy: the server uses TLS")
	}
	target, err := url.Parse(s.URL)
	if err != nil {
		return nil, fmt.Errorf("failed to start the S3 proxy: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to start the S3 proxy: %w", err)
	}
	p := &Proxy{Endpoint: ln.Addr().String()}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the client signed its request for the proxy's host
	}, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
		w.WriteHeader(http.StatusBadGateway) // mostly clients that went away; not worth a log line
	}}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.record(r)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *Proxy) record(r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, Request{Method: r.Method, Bucket: bucket, Key: key, Query: r.URL.RawQuery})
}

// Requests returns the requests forwarded so far.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.reqs...)
}

// ObjectGets returns how many GET requests of objects (not listings) of bucket were
// forwarded so far.
func (p *Proxy) ObjectGets(bucket string) int {
	n := 0
	for _, c := range p.Gets(bucket) {
		n += c
	}
	return n
}

// Gets returns how many GET requests of each object of bucket were forwarded so far, by
// key.
func (p *Proxy) Gets(bucket string) map[string]int {
	gets := map[string]int{}
	for _, r := range p.Requests() {
		if r.Method == http.MethodGet && r.Bucket == bucket && r.Key != "" {
			gets[r.Key]++
		}
	}
	return gets
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	return p.srv.Close()
}
