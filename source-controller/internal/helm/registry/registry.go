// Package registry lists and pulls Helm charts stored in OCI registries (Helm 3 OCI layout:
// a manifest whose layer is the packaged chart), with basic or docker-config credentials,
// custom TLS and plain HTTP for insecure registries.
package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	sharedregistry "github.com/ferry-gitops/ferry/shared/registry"
)

// Media types of a Helm chart in an OCI registry.
const (
	// ChartLayerMediaType is the media type of the packaged chart layer.
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// legacyChartLayerMediaType is the layer media type of charts pushed by early Helm 3.
	legacyChartLayerMediaType = "application/tar+gzip"
	// ConfigMediaType is the media type of a chart's config blob.
	ConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
)

// ErrUnauthorized is matched (with errors.Is) by errors reporting that the registry refused
// the credentials.
var ErrUnauthorized = errors.New("the registry refused the credentials")

// Options are how to reach a registry.
type Options struct {
	// Username and Password are basic-auth credentials, when set.
	Username, Password string
	// DockerConfigJSON is a .dockerconfigjson document whose entry for the registry's host
	// gives the credentials, when set and Username is not.
	DockerConfigJSON []byte
	// TLS configures HTTPS (custom CA, client certificate); nil means the system defaults.
	TLS *tls.Config
	// Insecure talks plain HTTP to the registry.
	Insecure bool
}

// Client reaches the charts below one oci:// repository URL. Close releases its connections.
type Client struct {
	base string // registry host and path, without scheme
	opts []remote.Option
	nopt []name.Option
	tr   *http.Transport
}

// NewClient returns a client of the charts below repoURL (oci://<host>/<path>).
func NewClient(repoURL string, o Options) (*Client, error) {
	u, err := url.Parse(repoURL)
	if err != nil || u.Scheme != "oci" || u.Host == "" {
		return nil, fmt.Errorf("invalid OCI repository URL %q: expected oci://<registry>/<path>", repoURL)
	}
	base := strings.TrimSuffix(u.Host+u.Path, "/")
	auth, err := authenticator(u.Host, o)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = o.TLS
	c := &Client{base: base, tr: tr, opts: []remote.Option{remote.WithAuth(auth), remote.WithTransport(tr)}}
	if o.Insecure {
		c.nopt = append(c.nopt, name.Insecure)
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Ref is the reference of a chart, <registry>/<path>/<chart>.
func (c *Client) Ref(chart string) string { return c.base + "/" + chart }

// Tags lists the tags of a chart's repository.
func (c *Client) Tags(ctx context.Context, chart string) ([]string, error) {
	repo, err := name.NewRepository(c.Ref(chart), c.nopt...)
	if err != nil {
		return nil, fmt.Errorf("invalid chart reference %q: %w", c.Ref(chart), err)
	}
	tags, err := remote.List(repo, append(c.opts, remote.WithContext(ctx))...)
	if err != nil {
		return nil, fmt.Errorf("failed to list tags of %s: %w", c.Ref(chart), classify(err))
	}
	return tags, nil
}

// RemoteOptions are the go-containerregistry options that send requests as the client does
// (its credentials and TLS), for the signature verifiers.
func (c *Client) RemoteOptions() []remote.Option { return append([]remote.Option{}, c.opts...) }

// NameOptions are the options to parse the references the client reaches.
func (c *Client) NameOptions() []name.Option { return append([]name.Option{}, c.nopt...) }

// Digest returns the manifest digest the chart's tag points at, with one manifest HEAD.
func (c *Client) Digest(ctx context.Context, chart, tag string) (string, error) {
	ref, err := c.reference(chart, tag)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(ref, append(c.RemoteOptions(), remote.WithContext(ctx))...)
	if err != nil {
		return "", fmt.Errorf("failed to get the digest of %s: %w", ref, classify(err))
	}
	return desc.Digest.String(), nil
}

// reference is the reference of the chart's version ref: a tag, or a manifest digest
// (sha256:<hex>).
func (c *Client) reference(chart, ref string) (name.Reference, error) {
	sep := ":"
	if strings.HasPrefix(ref, "sha256:") {
		sep = "@"
	}
	r, err := name.ParseReference(c.Ref(chart)+sep+ref, c.nopt...)
	if err != nil {
		return nil, fmt.Errorf("invalid chart reference %q: %w", c.Ref(chart)+sep+ref, err)
	}
	return r, nil
}

// Pull writes the packaged chart ref names (a tag, or a manifest digest sha256:<hex>) into w,
// refusing one larger than maxSize bytes (no limit when zero), and returns the manifest digest.
func (c *Client) Pull(ctx context.Context, chart, version string, w io.Writer, maxSize int64) (string, error) {
	ref, err := c.reference(chart, version)
	if err != nil {
		return "", err
	}
	opts := append(c.opts, remote.WithContext(ctx))
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return "", fmt.Errorf("failed to get manifest of %s: %w", ref, classify(err))
	}
	m, err := v1.ParseManifest(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return "", fmt.Errorf("failed to parse manifest of %s: %w", ref, err)
	}
	layer, err := chartLayer(m)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	if maxSize > 0 && layer.Size > maxSize {
		return "", fmt.Errorf("chart %s is %d bytes, over the limit of %d bytes", ref, layer.Size, maxSize)
	}
	l, err := remote.Layer(ref.Context().Digest(layer.Digest.String()), opts...)
	if err != nil {
		return "", fmt.Errorf("failed to get chart layer of %s: %w", ref, classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return "", fmt.Errorf("failed to pull chart layer of %s: %w", ref, classify(err))
	}
	defer rc.Close()
	if _, err := io.Copy(w, io.LimitReader(rc, layer.Size)); err != nil {
		return "", fmt.Errorf("failed to pull chart layer of %s: %w", ref, classify(err))
	}
	return desc.Digest.String(), nil
}

// chartLayer finds the packaged chart among a manifest's layers.
func chartLayer(m *v1.Manifest) (v1.Descriptor, error) {
	for _, l := range m.Layers {
		if mt := string(l.MediaType); mt == ChartLayerMediaType || mt == legacyChartLayerMediaType {
			return l, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("the artifact holds no Helm chart layer (%s)", ChartLayerMediaType)
}

// classify marks authentication failures with ErrUnauthorized.
func classify(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%w: %s", ErrUnauthorized, te.Error())
	}
	return err
}

// authenticator returns the credentials for host.
func authenticator(host string, o Options) (authn.Authenticator, error) {
	if o.Username != "" {
		return &authn.Basic{Username: o.Username, Password: o.Password}, nil
	}
	if len(o.DockerConfigJSON) == 0 {
		return authn.Anonymous, nil
	}
	cfg, err := sharedregistry.Credentials(o.DockerConfigJSON, host)
	if err != nil {
		return nil, err
	}
	return authn.FromConfig(cfg), nil
}
