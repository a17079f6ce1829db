package bucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// googleStorageHost is Google Cloud Storage's own endpoint, which needs no WithEndpoint.
const googleStorageHost = "storage.googleapis.com"

// googleReadScope is the OAuth scope asked for a service account key's tokens.
const googleReadScope = storage.DevstorageReadOnlyScope

// googleStore is the Store of Google Cloud Storage, through its JSON API.
type googleStore struct {
	svc *storage.Service
}

// newGoogleStore returns the Store of the JSON API at cfg.Endpoint, authenticated with the
// service account key of cfg, else the Google identity of cfg.ServiceAccount, else the
// controller's identity, else anonymous.
func newGoogleStore(cfg Config, tr http.RoundTripper) (*googleStore, error) {
	base, err := googleBasePath(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	var ts oauth2.TokenSource
	switch {
	case len(cfg.GoogleServiceAccount) > 0:
		conf, err := google.JWTConfigFromJSON(cfg.GoogleServiceAccount, googleReadScope)
		if err != nil {
			return nil, fmt.Errorf("failed to read the service account key: %w", errors.New("expected the JSON key of a service account"))
		}
		// The token endpoint is reached like the bucket (proxy, test CA); the client lives
		// for one reconcile, whose timeout the requests of the store honour.
		tokenClient := &http.Client{Transport: tr, Timeout: time.Minute}
		ts = conf.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, tokenClient))
	case cfg.ServiceAccount != nil:
		ts = identityTokenSource{c: cfg.Identity, sa: cfg.ServiceAccount}
	case cfg.Identity != nil:
		ts = identityTokenSource{c: cfg.Identity}
	}
	hc := &http.Client{Transport: tr}
	if ts != nil {
		hc.Transport = &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: tr}
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if base != "" {
		opts = append(opts, option.WithEndpoint(base))
	}
	svc, err := storage.NewService(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Google Cloud Storage client: %w", err)
	}
	return &googleStore{svc: svc}, nil
}

// googleBasePath returns the base path of the JSON API at endpoint (host[:port] or a URL of
// only a scheme and a host, see ParseEndpoint), or "" for Google's own endpoint.
func googleBasePath(endpoint string, insecure bool) (string, error) {
	host, secure, err := ParseEndpoint(endpoint, insecure)
	if err != nil {
		return "", err
	}
	if host == googleStorageHost && secure {
		return "", nil
	}
	scheme := "https"
	if !secure {
		scheme = "http"
	}
	return scheme + "://" + host + "/storage/v1/", nil
}

// identityTokenSource gives the tokens of the Google identity of a ServiceAccount, or of the
// controller's when sa is nil (shared/cloud's, cached there; their cloud-platform scope
// covers Cloud Storage).
type identityTokenSource struct {
	c  *cloud.Cache
	sa *cloud.ServiceAccount
}

// Token returns an access token, asking for it for at most a minute (the transport that
// calls it passes no context).
func (i identityTokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := i.c.GoogleTokenAs(ctx, i.sa)
	if err != nil {
		return nil, identityError{err}
	}
	return &oauth2.Token{AccessToken: l.Password, TokenType: "Bearer", Expiry: l.Expiry}, nil
}

// Exists lists at most one object, which needs only the storage.objects.list permission
// (reading the bucket's metadata needs storage.buckets.get, which object viewers lack).
func (s *googleStore) Exists(ctx context.Context, name string) error {
	_, err := s.svc.Objects.List(name).MaxResults(1).Fields("items(name)").Context(ctx).Do()
	if googleCode(err) == http.StatusNotFound {
		return bucketNotFound(name)
	}
	return describeGoogle(err)
}

// List lists the objects whose names start with prefix, page by page.
func (s *googleStore) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	call := s.svc.Objects.List(bucket).Prefix(prefix).Fields("items(name,etag,size),nextPageToken")
	var fnErr error
	err := call.Pages(ctx, func(page *storage.Objects) error {
		for _, o := range page.Items {
			if fnErr = fn(Object{Key: o.Name, ETag: o.Etag, Size: int64(o.Size)}); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return describeGoogle(err)
}

// Get downloads an object (alt=media).
func (s *googleStore) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	resp, err := s.svc.Objects.Get(bucket, key).Context(ctx).Download()
	if err != nil {
		if googleCode(err) == http.StatusNotFound {
			return nil, objectNotFound(describeGoogle(err).Error())
		}
		return nil, describeGoogle(err)
	}
	return resp.Body, nil
}

// identityError is why the token of a cloud identity could not be had: it is reported as it
// is, without the request that needed it.
type identityError struct{ err error }

// Error returns the error of the identity.
func (e identityError) Error() string { return e.err.Error() }

// Unwrap returns the error of the identity.
func (e identityError) Unwrap() error { return e.err }

// googleCode returns the HTTP status of an error of the API, or 0.
func googleCode(err error) int {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code
	}
	return 0
}

// googleError is a Google API error worded for users.
type googleError struct {
	err error
	msg string
}

// Error returns the description.
func (e googleError) Error() string { return e.msg }

// Unwrap returns the client's error.
func (e googleError) Unwrap() error { return e.err }

// describeGoogle words an error of the JSON API for users: the service's message and HTTP
// status, why the token of a cloud identity could not be had, or the client's error (a
// service account key's token that could not be had, an unreachable endpoint).
func describeGoogle(err error) error {
	if err == nil {
		return nil
	}
	var ierr identityError
	if errors.As(err, &ierr) {
		return ierr
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		msg := gerr.Message
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if msg == "" && json.Unmarshal([]byte(gerr.Body), &body) == nil {
			msg = body.Error.Message // a media download's error is not parsed by the client
		}
		msg = strings.TrimSuffix(firstLine(msg), ".")
		if msg == "" {
			msg = http.StatusText(gerr.Code)
		}
		return googleError{err: err, msg: fmt.Sprintf("%s (%d)", msg, gerr.Code)}
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		code, msg := rerr.ErrorCode, rerr.ErrorDescription
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if msg == "" && json.Unmarshal(rerr.Body, &body) == nil { // the JWT flow leaves it unparsed
			code, msg = body.Error, body.Description
		}
		if msg = strings.TrimSuffix(firstLine(msg), "."); msg == "" && rerr.Response != nil {
			msg = rerr.Response.Status
		}
		if code != "" {
			msg += " (" + code + ")"
		}
		return googleError{err: err, msg: "failed to get an access token of the service account: " + msg}
	}
	return err
}
