// Package oidc authenticates the requests of generic-oidc Receivers: the caller sends an
// OpenID Connect ID token as "Authorization: Bearer <JWT>", and the Receiver accepts it when
// it is signed by one of the issuers of spec.oidcProviders (keys found through OIDC
// discovery), was issued by that issuer for the provider's audience, is within its validity
// period, and satisfies the provider's CEL validations over its claims. Tokens never appear
// in errors or logs.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ferry-gitops/ferry/notification-controller/internal/webhook"
)

var (
	// ErrUnauthorized means the request carries no token this Receiver trusts: missing,
	// malformed, badly signed, expired, or for another issuer or audience (answered 401).
	ErrUnauthorized = webhook.ErrUnauthorized
	// ErrForbidden means the token is genuine but a validation refuses it; the error's text
	// holds the validations' messages (answered 403).
	ErrForbidden = errors.New("the token is not allowed by the receiver's validations")
	// ErrUnavailable means the issuer's discovery document or keys could not be read
	// (answered 503).
	ErrUnavailable = errors.New("the OIDC issuer is unavailable")
)

const (
	// maxIssuers bounds the issuers whose keys are cached; the least recently used goes.
	maxIssuers = 128
	// discoveryTTL is how long an issuer's discovery document is reused.
	discoveryTTL = time.Hour
	// maxToken bounds the length of a bearer token.
	maxToken = 16 << 10
	// maxDocument bounds the size of a discovery document.
	maxDocument = 64 << 10
	// leeway tolerates clock skew on exp, nbf and iat.
	leeway = time.Minute
)

// algorithms are the signature algorithms accepted: asymmetric ones only.
var algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// Verifier checks bearer tokens against Receivers' policies. It caches each issuer's
// discovery document for an hour and its key set (webhook.KeySet: fetched again hourly, or
// when a token names an unknown key, at most every ten seconds), for at most maxIssuers
// issuers. It is safe for concurrent use.
type Verifier struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	issuers map[string]*issuer
}

type issuer struct {
	keys    *webhook.KeySet
	fetched time.Time
	used    time.Time
}

// NewVerifier returns a Verifier that reaches issuers with client (a client with a ten
// second timeout when nil).
func NewVerifier(client *http.Client) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Verifier{client: client, now: time.Now, issuers: map[string]*issuer{}}
}

// Verify authenticates the bearer token of header with p and returns its claims. The error
// wraps ErrUnauthorized, ErrForbidden or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, header http.Header, p *Policy) (map[string]any, error) {
	scheme, raw, ok := strings.Cut(header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" || len(raw) > maxToken {
		return nil, fmt.Errorf("missing bearer token: %w", ErrUnauthorized)
	}
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, fmt.Errorf("malformed token: %w", ErrUnauthorized)
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, fmt.Errorf("malformed token: %w", ErrUnauthorized)
	}
	pr, ok := p.providers[unverified.Issuer]
	if !ok {
		return nil, fmt.Errorf("the token's issuer is not trusted: %w", ErrUnauthorized)
	}
	keys, err := v.keySet(ctx, pr.issuer)
	if err != nil {
		return nil, err
	}
	key, err := keys.Key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return nil, err
		}
		return nil, fmt.Errorf("failed to read the keys of %s: %w", pr.issuer, ErrUnavailable)
	}
	var std jwt.Claims
	var claims map[string]any
	if err := tok.Claims(key, &std, &claims); err != nil {
		return nil, fmt.Errorf("the token's signature does not verify: %w", ErrUnauthorized)
	}
	expected := jwt.Expected{Issuer: pr.issuer, AnyAudience: jwt.Audience{pr.audience}, Time: v.now()}
	if err := std.ValidateWithLeeway(expected, leeway); err != nil || std.Expiry == nil {
		return nil, fmt.Errorf("the token is expired, not yet valid or not for this receiver's audience: %w", ErrUnauthorized)
	}
	if err := pr.authorize(claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// keySet returns the key set of the issuer iss, reading its discovery document when it is
// not cached or older than discoveryTTL.
func (v *Verifier) keySet(ctx context.Context, iss string) (*webhook.KeySet, error) {
	v.mu.Lock()
	e, ok := v.issuers[iss]
	if ok && v.now().Sub(e.fetched) < discoveryTTL {
		e.used = v.now()
		v.mu.Unlock()
		return e.keys, nil
	}
	v.mu.Unlock()
	jwksURI, err := v.discover(ctx, iss)
	if err != nil {
		return nil, fmt.Errorf("failed to discover the keys of %s: %w", iss, errors.Join(ErrUnavailable, err))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.issuers[iss]; ok && e.keys != nil && e.keys.URL() == jwksURI {
		e.fetched, e.used = v.now(), v.now()
		return e.keys, nil
	}
	if len(v.issuers) >= maxIssuers {
		v.evict()
	}
	e = &issuer{keys: webhook.NewKeySet(jwksURI, v.client), fetched: v.now(), used: v.now()}
	v.issuers[iss] = e
	return e.keys, nil
}

// evict drops the least recently used issuer; v.mu is held.
func (v *Verifier) evict() {
	var oldest string
	for iss, e := range v.issuers {
		if oldest == "" || e.used.Before(v.issuers[oldest].used) {
			oldest = iss
		}
	}
	delete(v.issuers, oldest)
}

// discover reads <iss>/.well-known/openid-configuration and returns its jwks_uri; the
// document must name iss as its issuer.
func (v *Verifier) discover(ctx context.Context, iss string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the discovery document answered %s", resp.Status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(&doc); err != nil {
		return "", fmt.Errorf("the discovery document is not valid JSON: %w", err)
	}
	if doc.Issuer != iss {
		return "", fmt.Errorf("the discovery document names issuer %q", doc.Issuer)
	}
	if u, err := url.Parse(doc.JWKSURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("the discovery document's jwks_uri %q is not an http(s) URL", doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}
