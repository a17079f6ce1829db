package httpproxy

import (
	"io"
	"net"
	"net/http"
	"sort"
	"time"
)

// dialTimeout bounds the dial of a route's address.
const dialTimeout = 5 * time.Second

// closer is a connection of a tunnel.
type closer interface{ Close() error }

// Tunnelled returns the hostnames the proxy opened tunnels to, sorted and without
// duplicates.
func (p *Proxy) Tunnelled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	hosts := make([]string, 0, len(p.tunnelled))
	for h := range p.tunnelled {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}

// tunnel answers CONNECT to a routed hostname by splicing the client's connection with a
// connection to the route's address.
func (p *Proxy) tunnel(w http.ResponseWriter, req *http.Request) {
	host := req.Host
	if h, _, err := net.SplitHostPort(req.Host); err == nil {
		host = h
	}
	p.mu.Lock()
	addr, ok := p.routes[host]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no route to "+host, http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		http.Error(w, "failed to dial the route of "+host, http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = upstream.Close()
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	p.mu.Lock()
	p.tunnelled[host] = true
	p.conns[client], p.conns[upstream] = true, true
	p.mu.Unlock()
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		p.release(client, upstream)
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buf); done <- struct{}{} }() // buf holds any bytes read early
	go func() { _, _ = io.Copy(client, upstream); done <- struct{}{} }()
	go func() {
		<-done // one side ended: end both
		p.release(client, upstream)
		<-done
	}()
}

// release closes the connections of a tunnel.
func (p *Proxy) release(conns ...closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// close stops the proxy and closes the tunnels still open.
func (p *Proxy) close() {
	p.srv.Close()
	p.mu.Lock()
	open := make([]closer, 0, len(p.conns))
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	p.release(open...)
}
