// Package registry runs a real OCI registry for tests: go-containerregistry's in-memory
// registry on 127.0.0.1, optionally behind HTTP basic auth (fixed credentials, or a test's
// own check of them) and TLS (a self-signed CA, client certificates when mutual TLS is asked
// for, and a server certificate that may also name cloud registry hostnames), and behind any
// handler a test wraps around it, such as a cloud registry's token exchange. It is not a
// cloud registry: it serves only the OCI distribution API. It pushes Flux-style artifacts,
// plain images and multi-layer artifacts, tags them, and counts the manifest and blob
// requests it serves so tests can prove what a client did not fetch.
package registry

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// Options configure a registry.
type Options struct {
	// Username and Password, when Username is set, require HTTP basic auth on every request.
	Username, Password string
	// TLS serves HTTPS with a certificate for 127.0.0.1 signed by a new self-signed CA.
	TLS bool
	// MutualTLS (implies TLS) also requires a client certificate signed by the same CA.
	MutualTLS bool
	// TagsPageSize, when above zero, serves tag lists in pages of at most this many tags,
	// each but the last with a Link header to the next, as Docker Hub and GHCR paginate.
	TagsPageSize int
	// Referrers serves the OCI 1.1 referrers API (GET /v2/<repo>/referrers/<digest>), where
	// signatures attached as referrers are listed; without it clients fall back to the
	// referrers tag schema (a sha256-<hex> tag).
	Referrers bool
	// Hosts (implies TLS) are more DNS names of the server certificate, besides 127.0.0.1 and
	// localhost, for clients that reach the registry by a cloud registry's hostname
	// ("012345678901.dkr.ecr.us-east-1.amazonaws.com", "ferry.azurecr.io",
	// "europe-docker.pkg.dev") through a tunnel or a resolver of the test.
	Hosts []string
	// Wrap, when set, wraps the whole handler, outside the basic-auth check: a test puts a
	// cloud registry's own authentication (as azureapi's ACR) in front of the registry.
	Wrap func(http.Handler) http.Handler
	// Authorize, when set, replaces the Username and Password check: a request is served
	// when Authorize returns true for its basic-auth user and password (empty without basic
	// auth), and refused 401 with the same Basic challenge otherwise.
	Authorize func(user, password string) bool
}

// Registry is a running registry.
type Registry struct {
	// Host is the registry's address, 127.0.0.1:<port>.
	Host string
	// Username and Password are the basic-auth credentials (empty without auth).
	Username, Password string
	// CACert is the PEM certificate of the CA that signed the server (and client)
	// certificates; nil without TLS.
	CACert []byte
	// ClientCert and ClientKey are a PEM client certificate and key signed by the CA; nil
	// without TLS.
	ClientCert, ClientKey []byte

	srv       *http.Server
	ln        net.Listener
	scheme    string
	authorize func(user, password string) bool
	owner     string // the private credential of the registry's own helpers
	guarded   bool   // Wrap or Authorize is set: the helpers send owner
	counts    counters
	ca        *pki.CA   // nil without TLS
	client    *pki.Pair // nil without TLS
	transport *http.Transport
	pageSize  int
	throttle  throttle
}

// Counts is a snapshot of the requests a registry served, by kind.
type Counts struct {
	// ManifestHeads and ManifestGets count HEAD and GET requests on /v2/<repo>/manifests/<ref>.
	ManifestHeads, ManifestGets int64
	// BlobGets counts GET requests on /v2/<repo>/blobs/<digest> (layer and config pulls).
	BlobGets int64
	// BlobHeads counts HEAD requests on blobs.
	BlobHeads int64
	// TagLists counts GET requests on /v2/<repo>/tags/list.
	TagLists int64
	// Unauthorized counts requests refused for missing or wrong credentials.
	Unauthorized int64
}

type counters struct {
	manifestHeads, manifestGets, blobGets, blobHeads, tagLists, unauthorized atomic.Int64
}

// Start runs a registry on 127.0.0.1 until Close.
func Start(opts Options) (*Registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	r := &Registry{
		Host: ln.Addr().String(), Username: opts.Username, Password: opts.Password, scheme: "http",
		pageSize: opts.TagsPageSize, authorize: opts.Authorize, owner: randomHex(16),
		guarded: opts.Wrap != nil || opts.Authorize != nil,
	}
	handler := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(opts.Referrers))
	r.srv = &http.Server{Handler: r.outer(r.wrap(handler), opts.Wrap), ErrorLog: log.New(io.Discard, "", 0)}
	if opts.TLS || opts.MutualTLS || len(opts.Hosts) > 0 {
		cfg, err := r.newTLSConfig(opts.MutualTLS, opts.Hosts)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, cfg)
		r.scheme = "https"
	}
	r.ln = ln
	r.transport = r.newTransport()
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// New starts a registry that is closed when the test ends; it fails the test if it cannot.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// Close stops the registry.
func (r *Registry) Close() {
	r.transport.CloseIdleConnections()
	_ = r.srv.Close()
}

// URL is the registry's base URL, http://127.0.0.1:<port> or https://….
func (r *Registry) URL() string { return r.scheme + "://" + r.Host }

// Repo is the reference of repository name in this registry: 127.0.0.1:<port>/<name>.
func (r *Registry) Repo(name string) string { return r.Host + "/" + strings.TrimPrefix(name, "/") }

// OCIURL is the oci:// URL of repository name, as written in an OCIRepository's spec.url.
func (r *Registry) OCIURL(name string) string { return "oci://" + r.Repo(name) }

// Counts returns how many requests of each kind the registry has served.
func (r *Registry) Counts() Counts {
	c := &r.counts
	return Counts{
		ManifestHeads: c.manifestHeads.Load(), ManifestGets: c.manifestGets.Load(),
		BlobGets: c.blobGets.Load(), BlobHeads: c.blobHeads.Load(),
		TagLists: c.tagLists.Load(), Unauthorized: c.unauthorized.Load(),
	}
}

// ResetCounts sets every counter back to zero.
func (r *Registry) ResetCounts() {
	c := &r.counts
	for _, v := range []*atomic.Int64{&c.manifestHeads, &c.manifestGets, &c.blobGets, &c.blobHeads, &c.tagLists, &c.unauthorized} {
		v.Store(0)
	}
}

// DockerConfigJSON is a .dockerconfigjson document holding the registry's credentials, as
// stored in a kubernetes.io/dockerconfigjson Secret. With other credentials than the
// registry's own it gives a wrong-credentials config.
func (r *Registry) DockerConfigJSON(username, password string) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	doc := map[string]any{"auths": map[string]any{r.Host: map[string]string{
		"username": username, "password": password, "auth": auth,
	}}}
	b, _ := json.Marshal(doc) // a map of strings always marshals
	return b
}

// Client is an HTTP client that trusts the registry's CA and presents its client
// certificate; it does not add credentials.
func (r *Registry) Client() *http.Client {
	return &http.Client{Transport: r.Transport()}
}

// Transport is the registry's shared HTTP transport (do not change it): it trusts the
// registry's CA and presents its client certificate when the registry has TLS. Sharing it
// keeps the pushes of a test from opening a connection each.
func (r *Registry) Transport() *http.Transport { return r.transport }

// newTLSConfig makes a CA, a server certificate for 127.0.0.1, localhost and hosts, and a
// client certificate, keeps them on r (and their PEM in CACert, ClientCert and ClientKey),
// and returns the server's TLS config, which requires the client certificate when mutual is
// set.
func (r *Registry) newTLSConfig(mutual bool, hosts []string) (*tls.Config, error) {
	ca, err := pki.NewCA()
	if err != nil {
		return nil, err
	}
	server, err := ca.IssueServer(append([]string{"127.0.0.1", "localhost"}, hosts...)...)
	if err != nil {
		return nil, err
	}
	client, err := ca.IssueClient("ferry test client")
	if err != nil {
		return nil, err
	}
	r.ca, r.client = ca, client
	r.CACert, r.ClientCert, r.ClientKey = ca.CertPEM, client.CertPEM, client.KeyPEM
	return ca.ServerConfig(server, mutual), nil
}

func (r *Registry) newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if r.ca != nil {
		tr.TLSClientConfig = r.ca.ClientConfig(r.client)
	}
	return tr
}

func (r *Registry) count(req *http.Request) {
	parts := strings.Split(strings.TrimSuffix(req.URL.Path, "/"), "/")
	if len(parts) < 4 || parts[1] != "v2" {
		return
	}
	c := &r.counts
	kind := parts[len(parts)-2] + " " + req.Method
	switch kind {
	case "manifests HEAD":
		c.manifestHeads.Add(1)
	case "manifests GET":
		c.manifestGets.Add(1)
	case "blobs HEAD":
		c.blobHeads.Add(1)
	case "blobs GET":
		c.blobGets.Add(1)
	case "tags GET":
		if parts[len(parts)-1] == "list" {
			c.tagLists.Add(1)
		}
	}
}
