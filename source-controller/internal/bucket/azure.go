package bucket

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// AzureAuth is what a Secret may give provider azure, as Flux documents it: a service
// principal (TenantID and ClientID with ClientSecret or ClientCertificate), a managed
// identity (ClientID alone), the storage account's shared key (AccountKey) or a SAS token
// (SASToken), tried in that order.
type AzureAuth struct {
	// TenantID and ClientID name a service principal, or ClientID alone a user-assigned
	// managed identity.
	TenantID, ClientID string
	// ClientSecret is the service principal's secret.
	ClientSecret string
	// ClientCertificate is the service principal's certificate and private key (PEM or
	// PKCS#12), protected by ClientCertificatePassword when set.
	ClientCertificate         []byte
	ClientCertificatePassword string
	// ClientCertificateSendChain sends the certificate chain with each token request
	// (subject name/issuer authentication).
	ClientCertificateSendChain bool
	// AuthorityHost is the Microsoft Entra authority (the public cloud's when empty).
	AuthorityHost string
	// AccountKey is the storage account's shared key, base64-encoded.
	AccountKey string
	// SASToken is a shared access signature, the query of a URL with or without its "?".
	SASToken string
}

// storageScope is the Entra ID scope of tokens for Azure Storage.
const storageScope = "https://storage.azure.com/.default"

// azureStore is the Store of Azure Blob Storage: a bucket is a container of the account.
type azureStore struct {
	// account is the URL of the storage account (with the SAS query, if any).
	account *url.URL
	// newContainer returns the client of a container's URL.
	newContainer func(containerURL string) (*container.Client, error)
}

// newAzureStore returns the Store of the storage account at cfg.Endpoint, with the first
// credential cfg gives (see AzureAuth), else the identity of cfg.ServiceAccount, else the
// controller's identity, else anonymous.
func newAzureStore(cfg Config, tr http.RoundTripper) (*azureStore, error) {
	ep, err := parseAzureEndpoint(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: tr}
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: hc,
		Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 5 * time.Second}}}
	a := cfg.Azure
	s := &azureStore{account: ep.url}
	cred, err := a.tokenCredential(hc)
	if err != nil {
		return nil, err
	}
	switch {
	case cred != nil:
	case a.AccountKey != "":
		key, err := container.NewSharedKeyCredential(ep.account, a.AccountKey)
		if err != nil {
			return nil, fmt.Errorf("failed to use the account key: %w", errors.New("it is not valid base64"))
		}
		s.newContainer = func(u string) (*container.Client, error) {
			return container.NewClientWithSharedKeyCredential(u, key, opts)
		}
		return s, nil
	case a.SASToken != "":
		if err := mergeSAS(s.account, a.SASToken); err != nil {
			return nil, err
		}
		s.newContainer = func(u string) (*container.Client, error) { return container.NewClientWithNoCredential(u, opts) }
		return s, nil
	case cfg.ServiceAccount != nil:
		cred = cfg.Identity.AzureCredential(cfg.ServiceAccount)
	case cfg.Identity != nil:
		cred = identityCredential{cfg.Identity}
	default:
		s.newContainer = func(u string) (*container.Client, error) { return container.NewClientWithNoCredential(u, opts) }
		return s, nil
	}
	s.newContainer = func(u string) (*container.Client, error) { return container.NewClient(u, cred, opts) }
	return s, nil
}

// tokenCredential returns the Entra ID credential of a service principal or managed
// identity, or nil when a gives none.
func (a AzureAuth) tokenCredential(hc *http.Client) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{Transport: hc}
	if a.AuthorityHost != "" {
		opts.Cloud = azcloud.Configuration{ActiveDirectoryAuthorityHost: a.AuthorityHost}
	}
	// Instance discovery asks the public cloud about the authority; only tests, whose
	// authority is local, turn it off (as shared/cloud does).
	noDiscovery := cloud.TestTransport(cloud.TestCAFileEnv) != nil
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch {
	case a.TenantID != "" && a.ClientID != "" && a.ClientSecret != "":
		cred, err = azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	case a.TenantID != "" && a.ClientID != "" && len(a.ClientCertificate) > 0:
		certs, key, perr := azidentity.ParseCertificates(a.ClientCertificate, []byte(a.ClientCertificatePassword))
		if perr != nil {
			return nil, fmt.Errorf("failed to read the client certificate: %w", errors.New("expected PEM or PKCS#12 with a certificate and its private key (and the right password)"))
		}
		cred, err = azidentity.NewClientCertificateCredential(a.TenantID, a.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, SendCertificateChain: a.ClientCertificateSendChain, DisableInstanceDiscovery: noDiscovery})
	case a.ClientID != "" && a.ClientSecret == "" && len(a.ClientCertificate) == 0:
		cred, err = azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: opts, ID: azidentity.ClientID(a.ClientID)})
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create the Azure credential of the secret: %w", err)
	}
	return cred, nil
}

// identityCredential gives the tokens of the controller's Azure identity (shared/cloud's,
// cached there).
type identityCredential struct{ c *cloud.Cache }

// GetToken returns a token for the one scope asked.
func (i identityCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	scope := storageScope
	if len(opts.Scopes) > 0 {
		scope = opts.Scopes[0]
	}
	l, err := i.c.AzureToken(ctx, scope)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return azcore.AccessToken{Token: l.Password, ExpiresOn: l.Expiry}, nil
}

// mergeSAS adds the SAS token's parameters to u's query; those of the token win.
func mergeSAS(u *url.URL, sas string) error {
	params, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(sas), "?"))
	if err != nil || params.Get("sig") == "" {
		return errors.New("failed to use the SAS token: expected the query of a shared access signature, with 'sig'")
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return nil
}

// azureEndpoint is a parsed Azure storage account URL.
type azureEndpoint struct {
	url     *url.URL
	account string
}

// parseAzureEndpoint parses the URL of a storage account: https://<account>.<domain>
// (blob.core.windows.net and sovereign clouds), or, path-style, http(s)://<ip or
// localhost>:<port>/<account> as emulators serve it; a query (a SAS token) may follow.
// Without a scheme, https is assumed unless insecure.
func parseAzureEndpoint(endpoint string, insecure bool) (azureEndpoint, error) {
	invalid := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidEndpoint, endpoint, why)
	}
	raw := strings.TrimSpace(endpoint)
	if raw == "" {
		return azureEndpoint{}, invalid("it is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = map[bool]string{true: "http://", false: "https://"}[insecure] + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return azureEndpoint{}, invalid("it is not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return azureEndpoint{}, invalid(fmt.Sprintf("scheme %q is not supported, use http or https", u.Scheme))
	case u.Hostname() == "" || u.User != nil || u.Fragment != "":
		return azureEndpoint{}, invalid("expected the URL of a storage account, https://<account>.blob.core.windows.net")
	}
	path := strings.Trim(u.Path, "/")
	host := u.Hostname()
	if net.ParseIP(host) != nil || host == "localhost" {
		if path == "" || strings.Contains(path, "/") {
			return azureEndpoint{}, invalid("expected the storage account as the only path element of an IP address or localhost, http(s)://<host>:<port>/<account>")
		}
		u.Path, u.RawPath = "/"+path, ""
		return azureEndpoint{url: u, account: path}, nil
	}
	if path != "" {
		return azureEndpoint{}, invalid("expected no path: the bucket name is the container")
	}
	account, _, _ := strings.Cut(host, ".")
	u.Path, u.RawPath = "", ""
	return azureEndpoint{url: u, account: account}, nil
}

// container returns the client of a container.
func (s *azureStore) container(name string) (*container.Client, error) {
	u := *s.account
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + url.PathEscape(name)
	u.RawPath = ""
	c, err := s.newContainer(u.String())
	if err != nil {
		return nil, fmt.Errorf("failed to create the Azure Blob Storage client: %w", err)
	}
	return c, nil
}

// Exists lists at most one blob, which needs only the List permission a SAS token or role
// may be limited to (reading the container's properties needs more).
func (s *azureStore) Exists(ctx context.Context, name string) error {
	c, err := s.container(name)
	if err != nil {
		return err
	}
	one := int32(1)
	_, err = c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: &one}).NextPage(ctx)
	if bloberror.HasCode(err, bloberror.ContainerNotFound) {
		return bucketNotFound(name)
	}
	return describeAzure(err)
}

// List lists the blobs whose names start with prefix, page by page.
func (s *azureStore) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	c, err := s.container(bucket)
	if err != nil {
		return err
	}
	pager := c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return describeAzure(err)
		}
		for _, b := range page.Segment.BlobItems {
			if b == nil || b.Name == nil {
				continue
			}
			obj := Object{Key: *b.Name}
			if p := b.Properties; p != nil {
				if p.ETag != nil {
					obj.ETag = string(*p.ETag)
				}
				if p.ContentLength != nil {
					obj.Size = *p.ContentLength
				}
			}
			if err := fn(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get downloads a blob.
func (s *azureStore) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	c, err := s.container(bucket)
	if err != nil {
		return nil, err
	}
	resp, err := c.NewBlobClient(key).DownloadStream(ctx, nil)
	if err != nil {
		if bloberror.HasCode(err, bloberror.BlobNotFound) {
			return nil, objectNotFound(describeAzure(err).Error())
		}
		return nil, describeAzure(err)
	}
	return resp.Body, nil
}

// azureError is an Azure error worded for users: the service's message and error code.
type azureError struct {
	err error
	msg string
}

// Error returns the description.
func (e azureError) Error() string { return e.msg }

// Unwrap returns the client's error.
func (e azureError) Unwrap() error { return e.err }

// describeAzure words an error of the Azure SDK for users: the first line of the service's
// message and its error code for an answer of the service, the first line otherwise (the
// SDK's errors span many lines, with the whole answer).
func describeAzure(err error) error {
	if err == nil {
		return nil
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		msg := "the authority refused the credentials"
		if afe.RawResponse != nil && afe.RawResponse.Body != nil {
			var body struct {
				Description string `json:"error_description"`
			}
			data, _ := io.ReadAll(io.LimitReader(afe.RawResponse.Body, 64<<10))
			if json.Unmarshal(data, &body) == nil && body.Description != "" {
				msg = firstLine(body.Description)
			}
		}
		return azureError{err: err, msg: "failed to get an Entra ID token: " + msg}
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		msg := http.StatusText(re.StatusCode)
		if re.RawResponse != nil && re.RawResponse.Body != nil {
			var body struct {
				Message string `xml:"Message"`
			}
			data, _ := io.ReadAll(io.LimitReader(re.RawResponse.Body, 64<<10))
			if xml.Unmarshal(data, &body) == nil && strings.TrimSpace(body.Message) != "" {
				msg = firstLine(body.Message)
			}
		}
		code := re.ErrorCode
		if code == "" {
			code = fmt.Sprint(re.StatusCode)
		}
		return azureError{err: err, msg: fmt.Sprintf("%s (%s)", strings.TrimSuffix(msg, "."), code)}
	}
	return azureError{err: err, msg: condense(err.Error())}
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// condense joins the meaningful lines of a many-line SDK error into one: it drops the
// separators and the request and response dumps' headers.
func condense(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.Trim(line, "-") == "" || strings.HasPrefix(line, "To troubleshoot") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, ": ")
}
