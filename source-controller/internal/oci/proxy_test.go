package oci

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
)

// TestProxy sends every registry request through the configured proxy, with its
// credentials.
func TestProxy(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{})
	push(t, r, "app", "latest")
	proxy := httpproxy.New(t)
	c := newClient(t, Config{Config: registry.Config{Proxy: proxy.URLWithUser("proxy-user", "proxy-pass"), Insecure: true}})
	res, err := c.Resolve(context.Background(), r.OCIURL("app"), nil)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.Pull(context.Background(), res, "", "", t.TempDir()+"/out")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(proxy.Forwarded()).To(BeNumerically(">=", 3), "ping, manifest and blob go through the proxy")
	g.Expect(proxy.LastAuthorization()).To(HavePrefix("Basic "))
}

// TestResolveWithoutHEAD falls back to a manifest GET where the registry refuses HEAD.
func TestResolveWithoutHEAD(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{})
	d := push(t, r, "app", "latest")
	target, err := url.Parse(r.URL())
	g.Expect(err).NotTo(HaveOccurred())
	fwd := httputil.NewSingleHostReverseProxy(target)
	noHead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		fwd.ServeHTTP(w, req)
	}))
	t.Cleanup(noHead.Close)
	r.ResetCounts()
	res, err := newClient(t, Config{Config: registry.Config{Insecure: true}}).Resolve(context.Background(), "oci://"+noHead.Listener.Addr().String()+"/app", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Digest).To(Equal(d))
	g.Expect(r.Counts()).To(Equal(testregistry.Counts{ManifestGets: 1}))
}
