// Package registry is how Ferry's controllers reach container registries with
// go-containerregistry: one Config (credentials from .dockerconfigjson documents matched by
// registry host as Docker matches them, TLS material, a proxy, plain HTTP, a user agent) turns
// into one Client whose requests honour the registry's Retry-After, and whose failures are
// explained in words a user understands (wrapping ErrAuth, ErrNotFound, ErrTLS, ErrDNS,
// ErrRateLimited). OCIRepository (source-controller) and ImageRepository and ImagePolicy
// (image-reflector-controller) share it; nothing here knows about Kubernetes (the
// subpackage secrets reads the Config from Secrets).
package registry

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Config says how to reach a registry.
type Config struct {
	// DockerConfigs are .dockerconfigjson documents with registry credentials; for a host
	// named in several, the first document wins. Anonymous access when none names the host.
	DockerConfigs [][]byte
	// Logins are credentials for one host each, such as a cloud provider's login; they win
	// over DockerConfigs for their host.
	Logins []Login
	// CAData is a PEM bundle of certificate authorities trusted besides the system ones.
	CAData []byte
	// CertData and KeyData are a PEM client certificate and key for mutual TLS.
	CertData, KeyData []byte
	// Insecure allows plain HTTP to the registry.
	Insecure bool
	// Proxy, when set, is the HTTP(S) proxy to reach the registry through (user info
	// included).
	Proxy *url.URL
	// UserAgent is sent with every request.
	UserAgent string
	// Retry bounds how long a request waits for a registry that asks to be retried (HTTP 429
	// and 5xx); the zero value takes DefaultRetry.
	Retry Retry
}

// Login is a username and password for the registry at Host (host[:port]).
type Login struct {
	// Host is the registry, as in an image reference.
	Host string
	// Username and Password are sent with HTTP basic auth or to the registry's token service.
	Username, Password string
}

// HTTPClient is a client reaching registries with cfg's TLS material and proxy, for the
// requests that are not of the registry API (a cloud provider's token exchange).
func HTTPClient(cfg Config) (*http.Client, error) {
	tr, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr}, nil
}

// Client talks to registries as one Config says. Close it when done.
type Client struct {
	transport *http.Transport
	puller    *remote.Puller
	insecure  bool
}

// New builds a Client from cfg. It fails on unusable credentials or TLS material, without
// naming any secret value.
func New(cfg Config) (*Client, error) {
	keys, err := newKeychain(cfg.DockerConfigs)
	if err != nil {
		return nil, err
	}
	for _, l := range cfg.Logins {
		keys[l.Host] = authn.AuthConfig{Username: l.Username, Password: l.Password}
	}
	tr, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	retry := cfg.Retry
	if retry == (Retry{}) {
		retry = DefaultRetry
	}
	opts := []remote.Option{
		remote.WithTransport(&retryTransport{inner: tr, retry: retry}),
		// Status codes are retried by retryTransport, which honours Retry-After; the library
		// still retries network errors.
		remote.WithRetryStatusCodes(),
		remote.WithAuthFromKeychain(keys),
	}
	if cfg.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(cfg.UserAgent))
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		tr.CloseIdleConnections()
		return nil, fmt.Errorf("failed to create the registry client: %w", err)
	}
	return &Client{transport: tr, puller: puller, insecure: cfg.Insecure}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Puller is the go-containerregistry puller that sends the client's requests.
func (c *Client) Puller() *remote.Puller { return c.puller }

// NameOptions are the options to parse references reached by this client: strict
// validation, and plain HTTP when the client is insecure.
func (c *Client) NameOptions() []name.Option { return NameOptions(c.insecure) }

// NameOptions are the options to parse references: strict validation, and plain HTTP when
// insecure.
func NameOptions(insecure bool) []name.Option {
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return opts
}
