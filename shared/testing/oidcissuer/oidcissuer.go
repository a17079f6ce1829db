// Package oidcissuer is an OpenID Connect issuer for tests: an HTTPS server on 127.0.0.1
// (certificate from a throw-away pki CA) that publishes its discovery document
// (/.well-known/openid-configuration) and its JSON Web Key Set, and signs ID tokens with an
// RSA key it generates. Tests can rotate the key, sign with a key it does not publish, and
// count how often its keys were fetched.
package oidcissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// JWKSPath is where the issuer publishes its keys.
const JWKSPath = "/jwks"

// Issuer is a running OIDC issuer; it is safe for concurrent use.
type Issuer struct {
	// CA issued the server's certificate; clients trust it (Client does).
	CA *pki.CA

	srv         *httptest.Server
	jwksFetches atomic.Int64

	mu   sync.Mutex
	key  *rsa.PrivateKey
	kid  string
	gen  int
	keys []*rsa.PrivateKey // published keys, the current one first
}

// Start starts an issuer on 127.0.0.1 with a new CA and a new signing key. Close stops it.
func Start() (*Issuer, error) {
	ca, err := pki.NewCA()
	if err != nil {
		return nil, err
	}
	pair, err := ca.IssueServer()
	if err != nil {
		return nil, err
	}
	is := &Issuer{CA: ca}
	if err := is.RotateKey(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen on 127.0.0.1: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.discovery)
	mux.HandleFunc("GET "+JWKSPath, is.jwks)
	is.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	is.srv.TLS = ca.ServerConfig(pair, false)
	is.srv.StartTLS()
	return is, nil
}

// Close stops the server.
func (is *Issuer) Close() { is.srv.Close() }

// URL is the issuer URL: the tokens' iss claim and the base of the discovery document.
func (is *Issuer) URL() string { return is.srv.URL }

// Client returns an HTTP client that trusts the issuer's CA.
func (is *Issuer) Client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: is.CA.ClientConfig(nil)}}
}

// JWKSFetches returns how many times the key set was fetched.
func (is *Issuer) JWKSFetches() int { return int(is.jwksFetches.Load()) }

// RotateKey makes a new signing key with a new key ID. The key set then publishes only the
// new key, so tokens signed before no longer verify.
func (is *Issuer) RotateKey() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("failed to generate the signing key: %w", err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.gen++
	is.key, is.kid = key, fmt.Sprintf("key-%d", is.gen)
	is.keys = []*rsa.PrivateKey{key}
	return nil
}

// KeyID returns the ID of the current signing key.
func (is *Issuer) KeyID() string {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.kid
}

// Claims returns the standard claims of a token of this issuer for audience and subject,
// valid from a minute ago for an hour.
func (is *Issuer) Claims(audience, subject string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": is.URL(), "aud": audience, "sub": subject,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Sign signs claims with the current key (RS256, with its key ID).
func (is *Issuer) Sign(claims jwt.MapClaims) (string, error) {
	is.mu.Lock()
	key, kid := is.key, is.kid
	is.mu.Unlock()
	return sign(claims, key, kid)
}

// SignUnpublished signs claims with a new key the issuer does not publish, under the current
// key ID: a forgery.
func (is *Issuer) SignUnpublished(claims jwt.MapClaims) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("failed to generate a key: %w", err)
	}
	return sign(claims, key, is.KeyID())
}

func sign(claims jwt.MapClaims, key *rsa.PrivateKey, kid string) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("failed to sign the token: %w", err)
	}
	return s, nil
}

// discovery serves the provider metadata.
func (is *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                is.URL(),
		"jwks_uri":                              is.URL() + JWKSPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

// jwks serves the published public keys.
func (is *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	is.jwksFetches.Add(1)
	is.mu.Lock()
	keys := make([]map[string]string, 0, len(is.keys))
	for _, k := range is.keys {
		keys = append(keys, map[string]string{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": is.kid,
			"n": b64(k.PublicKey.N.Bytes()), "e": b64(big.NewInt(int64(k.PublicKey.E)).Bytes()),
		})
	}
	is.mu.Unlock()
	writeJSON(w, map[string]any{"keys": keys})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
