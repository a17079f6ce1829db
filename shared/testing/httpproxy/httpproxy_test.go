package httpproxy_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

func TestTunnelReachesRoutedHostsOnly(t *testing.T) {
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer("ferry.azurecr.io")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "served to "+r.Host)
	}))
	srv.TLS = ca.ServerConfig(pair, false)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)

	p := httpproxy.NewTunnel(t, map[string]string{
		"ferry.azurecr.io": srv.Listener.Addr().String(),
		"other.azurecr.io": srv.Listener.Addr().String(), // the certificate does not name it
	})
	proxyURL, _ := url.Parse(p.URL())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: ca.ClientConfig(nil)}}
	t.Cleanup(c.CloseIdleConnections)

	for i := 0; i < 2; i++ {
		resp, err := c.Get("https://ferry.azurecr.io/v2/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if string(body) != "served to ferry.azurecr.io" {
			t.Fatalf("body %q", body)
		}
	}
	if _, err := c.Get("https://unknown.example.com/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("a host without route: %v", err)
	}
	if _, err := c.Get("https://other.azurecr.io/"); err == nil {
		t.Fatal("TLS to a host the certificate does not name succeeded")
	}
	if got := p.Tunnelled(); !slices.Equal(got, []string{"ferry.azurecr.io", "other.azurecr.io"}) {
		t.Fatalf("tunnelled %v", got)
	}
	if p.Forwarded() != 0 {
		t.Fatalf("forwarded %d", p.Forwarded())
	}
}

func TestPlainProxyRefusesTunnels(t *testing.T) {
	p := httpproxy.New(t)
	req, _ := http.NewRequest(http.MethodConnect, p.URL(), nil)
	req.Host = "ferry.azurecr.io:443"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || len(p.Tunnelled()) != 0 {
		t.Fatalf("CONNECT through New: %d", resp.StatusCode)
	}
}
