// Package azureapi is a local HTTPS server on 127.0.0.1 that speaks, as Microsoft documents
// them, the Azure services Ferry's clients talk to:
//
//   - the Microsoft Entra ID token endpoint of one tenant: its OpenID configuration and the
//     client credentials grant of OAuth 2.0, with a client secret or, for workload identity,
//     a federated token as client assertion (client_assertion_type
//     urn:ietf:params:oauth:client-assertion-type:jwt-bearer), checking the tenant, the
//     client ID and the secret or assertion;
//   - Azure Key Vault's key operations: the bearer challenge of an unauthenticated request,
//     then encrypt and decrypt with RSA-OAEP-256, checking the access token and its scope;
//   - Azure Container Registry's AAD exchange (POST /oauth2/exchange, an Entra ID access
//     token for a refresh token), as a wrapper around a registry's handler that then asks
//     for the refresh token as the basic-auth password of every request (see ACR).
//
// It is not Azure: keys are RSA keys created on first use, access and refresh tokens are
// random strings rather than JWTs, federated tokens are whatever string a test chooses, and
// nothing else of these APIs is served.
package azureapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// Principal is the one service principal the server accepts.
type Principal struct {
	// TenantID is the one tenant whose token endpoint exists.
	TenantID string
	// ClientID is the application (client) ID of the principal.
	ClientID string
	// ClientSecret, when set, is the client secret the principal may present.
	ClientSecret string
	// FederatedToken, when set, is the federated token (as workload identity projects into
	// the pod) the principal may present as client assertion.
	FederatedToken string
}

// Server is an Entra ID authority and a key vault on 127.0.0.1; it is safe for concurrent
// use.
type Server struct {
	keyserver.Counts
	principal Principal
	srv       *httptest.Server

	mu     sync.Mutex
	keys   map[string]*rsa.PrivateKey // name/version
	tokens map[string]string          // access token -> scope
}

// New starts a server with the TLS certificate (for 127.0.0.1, and any hostname a test
// reaches it by). The principal needs a tenant, a client ID and a client secret or a
// federated token. The caller must call Close.
func New(p Principal, cert tls.Certificate) (*Server, error) {
	if p.TenantID == "" || p.ClientID == "" || (p.ClientSecret == "" && p.FederatedToken == "") {
		return nil, errors.New("a tenant, a client ID and a client secret or federated token are required")
	}
	s := &Server{principal: p, keys: map[string]*rsa.PrivateKey{}, tokens: map[string]string{}}
	mux := http.NewServeMux()
	// Only the principal's tenant exists: other tenants are not found.
	mux.HandleFunc("GET /"+p.TenantID+"/v2.0/.well-known/openid-configuration", s.openIDConfiguration)
	mux.HandleFunc("POST /"+p.TenantID+"/oauth2/v2.0/token", s.token)
	mux.HandleFunc("POST /keys/{name}/{version}/{op}", s.keyOperation)
	var err error
	s.srv, err = keyserver.Start(mux, &cert)
	return s, err
}

// URL is the server's base URL: the authority host and the vault URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// TokenScope returns the ".default" scope that the access token was issued for, and whether
// the server issued it at all, so that other test handlers can check bearer tokens.
func (s *Server) TokenScope(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, ok := s.tokens[token]
	return scope, ok
}

// newToken issues an access token for scope.
func (s *Server) newToken(scope string) string {
	token := randomHex(24)
	s.mu.Lock()
	s.tokens[token] = scope
	s.mu.Unlock()
	return token
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	return hex.EncodeToString(raw)
}

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
