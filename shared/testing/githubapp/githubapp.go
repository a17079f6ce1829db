// Package githubapp is a local stand-in for GitHub's REST API endpoint that issues GitHub App
// installation access tokens (POST /app/installations/{installation_id}/access_tokens),
// checking each request as GitHub documents it: the App's JSON Web Token (RS256, signed with
// the App's private key, issued by its ID, valid at most ten minutes) in a bearer
// Authorization header and the GitHub media type in Accept. It serves HTTPS on 127.0.0.1.
package githubapp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Server is the token endpoint of one GitHub App installation.
type Server struct {
	// URL is the API's base URL (githubAppBaseURL); CA is the PEM certificate its TLS
	// certificate chains to.
	URL string
	CA  []byte
	// AppID and InstallationID identify the App and its installation.
	AppID          string
	InstallationID int64
	// PrivateKey is the App's PEM RSA private key (githubAppPrivateKey).
	PrivateKey []byte

	key     *rsa.PrivateKey
	issued  atomic.Int64
	refused atomic.Int64
	lastTok atomic.Value
	srv     *httptest.Server
}

// New starts the endpoint, with a new App key, stopped when tb ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{AppID: "123456", InstallationID: 7890, key: key,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	return s
}

// Issued is how many tokens the endpoint issued; Refused how many requests it refused.
func (s *Server) Issued() int64 { return s.issued.Load() }

// Refused is how many token requests the endpoint refused.
func (s *Server) Refused() int64 { return s.refused.Load() }

// LastToken is the last token issued, or "".
func (s *Server) LastToken() string {
	t, _ := s.lastTok.Load().(string)
	return t
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := s.check(r); err != nil {
		s.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(err.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": err.msg})
		return
	}
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	s.lastTok.Store(tok)
	s.issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

type refusal struct {
	status int
	msg    string
}

// check verifies r as GitHub does; it returns nil for a request it answers with a token.
func (s *Server) check(r *http.Request) *refusal {
	want := fmt.Sprintf("/app/installations/%d/access_tokens", s.InstallationID)
	if r.URL.Path != want {
		return &refusal{http.StatusNotFound, "Not Found"}
	}
	if r.Method != http.MethodPost {
		return &refusal{http.StatusNotFound, "Not Found"}
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.github") {
		return &refusal{http.StatusUnsupportedMediaType, "Unsupported 'Accept' header"}
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return &refusal{http.StatusUnauthorized, "A JSON web token could not be decoded"}
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.AppID), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		return &refusal{http.StatusUnauthorized, "'Issuer' claim ('iss') must be an Integer or the JWT is invalid: " + err.Error()}
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		return &refusal{http.StatusUnauthorized, "'Expiration time' claim ('exp') is too far in the future"}
	}
	return nil
}
