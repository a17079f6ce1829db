// Package bucket lists and downloads the objects of an S3-compatible bucket with minio-go:
// endpoint and credential settings, the revision of a listing, ignore rules over object
// keys, and a bounded concurrent download that fetches only the objects that changed.
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

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Providers this package serves.
const (
	// ProviderGeneric is any S3-compatible object storage.
	ProviderGeneric = "generic"
	// ProviderAWS is Amazon S3, with static keys or, without them, the IAM credentials of
	// the environment (instance metadata or web identity).
	ProviderAWS = "aws"
)

// ErrUnsupportedProvider is matched by errors about a provider this package cannot serve.
var ErrUnsupportedProvider = errors.New("unsupported bucket provider")

// ErrInvalidEndpoint is matched by errors about an endpoint that cannot be used.
var ErrInvalidEndpoint = errors.New("invalid endpoint")

// ErrBucketNotFound is matched by errors about a bucket that does not exist.
var ErrBucketNotFound = errors.New("bucket not found")

// Config says how to reach a bucket.
type Config struct {
	// Provider is ProviderGeneric (the default when empty) or ProviderAWS.
	Provider string
	// Endpoint is host[:port], or a URL http(s)://host[:port] whose scheme decides TLS.
	Endpoint string
	// Insecure uses plain HTTP to an endpoint given without a scheme.
	Insecure bool
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// AccessKey and SecretKey are static credentials; both empty means anonymous for the
	// generic provider and the environment's IAM credentials for aws.
	AccessKey, SecretKey string
	// TLS, when set, is the TLS configuration (CA and client certificate) of HTTPS.
	TLS *tls.Config
	// Proxy, when set, is the HTTP(S) proxy every request goes through.
	Proxy *url.URL
}

// Client talks to one endpoint.
type Client struct {
	mc *minio.Client
}

// NewClient checks cfg and returns a client; it does not contact the endpoint. Its errors
// match ErrUnsupportedProvider or ErrInvalidEndpoint when the configuration cannot work
// without a change.
func NewClient(cfg Config) (*Client, error) {
	if err := CheckProvider(cfg.Provider); err != nil {
		return nil, err
	}
	host, secure, err := ParseEndpoint(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS.Clone()
	}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	mc, err := minio.New(host, &minio.Options{
		Creds:     credentialsFor(cfg),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: tr,
		// Failures are retried by the controller with back-off; a few quick retries here
		// only smooth over dropped connections.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create S3 client for %q: %w: %w", cfg.Endpoint, ErrInvalidEndpoint, err)
	}
	return &Client{mc: mc}, nil
}

// CheckProvider returns an error matching ErrUnsupportedProvider unless provider is
// generic, aws or empty.
func CheckProvider(provider string) error {
	switch provider {
	case "", ProviderGeneric, ProviderAWS:
		return nil
	}
	return &classified{class: ErrUnsupportedProvider, msg: fmt.Sprintf(
		"provider '%s' is not supported by this controller: use 'generic' (any S3-compatible API) or 'aws'", provider)}
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

// credentialsFor returns static credentials, the environment's IAM credentials (aws without
// keys) or anonymous access.
func credentialsFor(cfg Config) *credentials.Credentials {
	switch {
	case cfg.AccessKey != "" || cfg.SecretKey != "":
		return credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	case cfg.Provider == ProviderAWS:
		return credentials.NewIAM("")
	}
	return credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
}

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
// credentials). It lists at most one object rather than asking with HEAD, whose answers
// carry no error code to tell a missing bucket from refused credentials.
func (c *Client) BucketExists(ctx context.Context, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing after its first answer
	for obj := range c.mc.ListObjects(ctx, name, minio.ListObjectsOptions{MaxKeys: 1}) {
		switch {
		case obj.Err == nil:
		case minio.ToErrorResponse(obj.Err).Code == "NoSuchBucket":
			return &classified{class: ErrBucketNotFound, msg: fmt.Sprintf("bucket '%s' not found", name)}
		default:
			return fmt.Errorf("failed to confirm existence of bucket '%s': %s", name, describe(obj.Err))
		}
		break
	}
	return nil
}

// describe returns a user-facing text of an S3 error: the server's message and code when
// it answered, otherwise the client's error.
func describe(err error) string {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "" {
		return err.Error()
	}
	msg := resp.Message
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Sprintf("%s (%s)", strings.TrimSuffix(msg, "."), resp.Code)
}
