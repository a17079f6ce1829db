// Package oci resolves and pulls OCI artifacts with go-containerregistry for OCIRepository:
// it resolves spec.ref (digest, semver over the tags, or tag) with a manifest HEAD or a tag
// listing, without pulling layers, then pulls one selected layer and extracts or copies it.
// Credentials come from a dockerconfigjson document, TLS material from PEM data, and a
// proxy from a URL; nothing here knows about Kubernetes.
package oci

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-gitops/ferry/shared/artifact"
)

// Config says how to reach a registry.
type Config struct {
	// DockerConfigs are .dockerconfigjson documents with registry credentials; for a host
	// named in several, the first document wins. Anonymous access when none names the host.
	DockerConfigs [][]byte
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
	// Limits bound the selected layer: MaxDownloadSize its compressed size, the others its
	// unpacked content when it is extracted. Zero fields take artifact's defaults.
	Limits artifact.Limits
}

// Client talks to registries as one Config says. Close it when done.
type Client struct {
	transport *http.Transport
	puller    *remote.Puller
	insecure  bool
	limits    artifact.Limits
}

// NewClient builds a Client from cfg. It fails on unusable credentials or TLS material,
// without naming any secret value.
func NewClient(cfg Config) (*Client, error) {
	keys := keychain{}
	for _, doc := range cfg.DockerConfigs {
		k, err := parseDockerConfig(doc)
		if err != nil {
			return nil, err
		}
		for host, a := range k {
			if _, ok := keys[host]; !ok {
				keys[host] = a
			}
		}
	}
	tr, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	opts := []remote.Option{remote.WithTransport(tr), remote.WithAuthFromKeychain(keys)}
	if cfg.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(cfg.UserAgent))
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the registry client: %w", err)
	}
	limits := cfg.Limits
	if limits.MaxDownloadSize <= 0 {
		limits.MaxDownloadSize = artifact.DefaultMaxDownloadSize
	}
	return &Client{transport: tr, puller: puller, insecure: cfg.Insecure, limits: limits}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// newTransport is an HTTP transport with cfg's TLS material and proxy.
func newTransport(cfg Config) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	if len(cfg.CAData) == 0 && len(cfg.CertData) == 0 && len(cfg.KeyData) == 0 {
		return tr, nil
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CAData) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, errors.New("failed to load the CA certificate: ca.crt holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	if (len(cfg.CertData) == 0) != (len(cfg.KeyData) == 0) {
		return nil, errors.New("failed to load the client certificate: tls.crt and tls.key must be set together")
	}
	if len(cfg.CertData) > 0 {
		cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			return nil, fmt.Errorf("failed to load the client certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}

// dockerConfig is the part of a .dockerconfigjson document that holds credentials.
type dockerConfig struct {
	Auths map[string]struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	} `json:"auths"`
}

// keychain resolves credentials by registry host.
type keychain map[string]authn.AuthConfig

// Resolve returns the credentials for the resource's registry, or anonymous.
func (k keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if cfg, ok := k[res.RegistryStr()]; ok {
		return authn.FromConfig(cfg), nil
	}
	return authn.Anonymous, nil
}

// parseDockerConfig reads the credentials of a .dockerconfigjson document, keyed by host.
func parseDockerConfig(data []byte) (keychain, error) {
	k := keychain{}
	if len(data) == 0 {
		return k, nil
	}
	var doc dockerConfig
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.New("failed to parse the registry credentials: .dockerconfigjson is not valid JSON")
	}
	for server, a := range doc.Auths {
		user, pass := a.Username, a.Password
		if a.Auth != "" {
			decoded, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("failed to parse the registry credentials of %s: auth is not base64", server)
			}
			var ok bool
			if user, pass, ok = strings.Cut(string(decoded), ":"); !ok {
				return nil, fmt.Errorf("failed to parse the registry credentials of %s: auth is not user:password", server)
			}
		}
		k[registryHost(server)] = authn.AuthConfig{Username: user, Password: pass}
	}
	return k, nil
}

// registryHost turns a dockerconfig server key ("host", "https://host/v1/") into its host.
func registryHost(server string) string {
	s := server
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s, _, _ = strings.Cut(s, "/")
	if s == "docker.io" || s == "registry-1.docker.io" {
		return "index.docker.io"
	}
	return s
}
