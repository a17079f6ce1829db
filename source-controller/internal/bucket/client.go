// Package bucket lists and downloads the objects of a bucket: S3-compatible APIs with
// minio-go (providers generic and aws), Azure Blob Storage with azblob (azure) and Google
// Cloud Storage with its JSON API (gcp), each behind a Store. On top of any Store it holds
// the revision of a listing, ignore rules over object keys, and a bounded concurrent
// download that fetches only the objects that changed.
package bucket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// Providers this package serves.
const (
	// ProviderGeneric is any S3-compatible object storage.
	ProviderGeneric = "generic"
	// ProviderAWS is Amazon S3, with static keys or, without them, the IAM credentials of
	// the environment (instance metadata or web identity).
	ProviderAWS = "aws"
	// ProviderAzure is Azure Blob Storage: a shared key, a SAS token, a service principal or
	// managed identity from the Secret, or else the controller's Azure identity.
	ProviderAzure = "azure"
	// ProviderGCP is Google Cloud Storage: a service account key from the Secret, or else
	// the Google identity of a ServiceAccount, or else the controller's (Application Default
	// Credentials).
	ProviderGCP = "gcp"
)

// ErrUnsupportedProvider is matched by errors about a provider this package cannot serve.
var ErrUnsupportedProvider = errors.New("unsupported bucket provider")

// ErrInvalidEndpoint is matched by errors about an endpoint that cannot be used.
var ErrInvalidEndpoint = errors.New("invalid endpoint")

// ErrBucketNotFound is matched by errors about a bucket that does not exist.
var ErrBucketNotFound = errors.New("bucket not found")

// Config says how to reach a bucket.
type Config struct {
	// Provider is ProviderGeneric (the default when empty), ProviderAWS, ProviderAzure or
	// ProviderGCP.
	Provider string
	// Endpoint is, for S3 and gcp, host[:port] or a URL http(s)://host[:port] whose scheme
	// decides TLS; for azure the URL of the storage account (see CheckEndpoint).
	Endpoint string
	// Insecure uses plain HTTP to an endpoint given without a scheme.
	Insecure bool
	// Region is the bucket's region; empty lets the client ask the server (S3 only).
	Region string
	// AccessKey and SecretKey are static S3 credentials; both empty means anonymous for the
	// generic provider and the environment's IAM credentials for aws.
	AccessKey, SecretKey string
	// Azure holds the credentials of provider azure from the Secret; empty, the controller's
	// Identity is used.
	Azure AzureAuth
	// GoogleServiceAccount is the JSON key of a Google service account (provider gcp); empty,
	// the controller's Identity is used.
	GoogleServiceAccount []byte
	// Identity, when set, gives the tokens of the controller's own Azure or Google identity
	// to providers azure and gcp without credentials of their own; nil, they are anonymous.
	Identity *cloud.Cache
	// ServiceAccount, when set, is the ServiceAccount whose cloud identity providers aws,
	// azure and gcp use instead of the controller's (object-level workload identity; the
	// Azure and Google tokens are cached in Identity).
	ServiceAccount *cloud.ServiceAccount
	// STS, when set, gives the S3 providers temporary credentials from a Security Token
	// Service: the LDAP user's (ldap), or those of the aws provider's identity (aws).
	STS *STSConfig
	// TLS, when set, is the TLS configuration (CA and client certificate) of HTTPS.
	TLS *tls.Config
	// Proxy, when set, is the HTTP(S) proxy every request goes through.
	Proxy *url.URL
}

// Client lists and downloads the objects of one endpoint's buckets through its provider's
// Store.
type Client struct {
	store Store
}

// NewClient checks cfg and returns a client; it does not contact the endpoint. Its errors
// match ErrUnsupportedProvider or ErrInvalidEndpoint when the configuration cannot work
// without a change.
func NewClient(cfg Config) (*Client, error) {
	if err := CheckProvider(cfg.Provider); err != nil {
		return nil, err
	}
	tr := transport(cfg)
	var (
		store Store
		err   error
	)
	switch cfg.Provider {
	case ProviderAzure:
		store, err = newAzureStore(cfg, tr)
	case ProviderGCP:
		store, err = newGoogleStore(cfg, tr)
	default:
		store, err = newS3Store(cfg, tr)
	}
	if err != nil {
		return nil, err
	}
	return &Client{store: store}, nil
}

// transport returns the HTTP transport of cfg: its TLS configuration and proxy over the
// default transport (which, in tests only, may trust a test CA: see cloud.TestCAFileEnv).
func transport(cfg Config) *http.Transport {
	tr := cloud.TestTransport(cloud.TestCAFileEnv)
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS.Clone()
	}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	return tr
}

// CheckProvider returns an error matching ErrUnsupportedProvider unless provider is
// generic, aws, azure, gcp or empty.
func CheckProvider(provider string) error {
	switch provider {
	case "", ProviderGeneric, ProviderAWS, ProviderAzure, ProviderGCP:
		return nil
	}
	return &classified{class: ErrUnsupportedProvider, msg: fmt.Sprintf(
		"provider '%s' is not supported: use 'generic' (any S3-compatible API), 'aws', 'azure' or 'gcp'", provider)}
}

// CheckEndpoint returns an error matching ErrInvalidEndpoint when the provider cannot use
// endpoint: S3 takes host[:port] or a URL of only a scheme and a host; Azure a URL of the
// storage account (path-style, https://<ip>:<port>/<account>, for an IP address or
// localhost) with an optional SAS query; Google Cloud Storage host[:port] or such a URL.
func CheckEndpoint(provider, endpoint string, insecure bool) error {
	var err error
	switch provider {
	case ProviderAzure:
		_, err = parseAzureEndpoint(endpoint, insecure)
	case ProviderGCP:
		_, err = googleBasePath(endpoint, insecure)
	default:
		_, _, err = ParseEndpoint(endpoint, insecure)
	}
	return err
}

// classified is an error with its own message that matches a sentinel with errors.Is.
type classified struct {
	class error
	msg   string
}

// Error returns the message.
func (e *classified) Error() string { return e.msg }

// Is reports whether target is the error's class.
func (e *classified) Is(target error) bool { return target == e.class }

// ParseEndpoint splits an endpoint into the host[:port] the S3 client takes and whether to
// use TLS. A URL's scheme (http or https) decides TLS; otherwise insecure does. Paths,
// queries and user information are rejected.
func ParseEndpoint(endpoint string, insecure bool) (host string, secure bool, err error) {
	invalid := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidEndpoint, endpoint, why)
	}
	if strings.TrimSpace(endpoint) == "" {
		return "", false, invalid("it is empty")
	}
	raw, secure := endpoint, !insecure
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return "", false, invalid("it is not a valid URL")
		}
		switch u.Scheme {
		case "https":
			secure = true
		case "http":
			secure = false
		default:
			return "", false, invalid(fmt.Sprintf("scheme %q is not supported, use http or https", u.Scheme))
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			return "", false, invalid("expected only a host and an optional port")
		}
		raw = u.Host
	}
	u, err := url.Parse("http://" + raw)
	if err != nil || u.Host != raw || u.Hostname() == "" {
		return "", false, invalid("expected host[:port]")
	}
	if _, port, err := net.SplitHostPort(raw); err == nil && port == "" {
		return "", false, invalid("empty port")
	}
	return raw, secure, nil
}

// BucketExists returns nil when the bucket exists, an error matching ErrBucketNotFound
// when it does not, and another error when the server cannot tell (unreachable, refused
// credentials).
func (c *Client) BucketExists(ctx context.Context, name string) error {
	err := c.store.Exists(ctx, name)
	if err == nil || errors.Is(err, ErrBucketNotFound) {
		return err
	}
	return fmt.Errorf("failed to confirm existence of bucket '%s': %w", name, err)
}
