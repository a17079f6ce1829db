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
//     for the refresh token as the basic-auth password of every request (see ACR);
//   - Azure Blob Storage: one storage account (see Blob), path-style, serving List Blobs, Get
//     Container Properties and Get Blob to requests signed with its shared key, carrying a
//     service SAS of the container, or a bearer token of the authority for Azure Storage.
//
// It is not Azure: keys are RSA keys created on first use, access and refresh tokens are
// random strings rather than JWTs, federated tokens are whatever string a test chooses (or
// its function accepts), and
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

// Principal is a service principal the server accepts: the one it starts with, and those
// AddPrincipal adds to its tenant.
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
	// Federated, when set, accepts the client assertions that a federated identity credential
	// of the principal trusts, as Entra ID checks a token's issuer, subject and audience (a
	// test can ask a Kubernetes API server's TokenReview).
	Federated func(assertion string) bool
}

// issued is what an access token was issued for.
type issued struct {
	scope, clientID string
}

// Server is an Entra ID authority and a key vault on 127.0.0.1; it is safe for concurrent
// use.
type Server struct {
	keyserver.Counts
	principal Principal // the first, whose tenant is the server's
	srv       *httptest.Server

	mu         sync.Mutex
	principals map[string]Principal       // by client ID
	keys       map[string]*rsa.PrivateKey // name/version
	tokens     map[string]issued          // by access token
	keyClient  string                     // the client whose tokens alone may use the keys, or ""
}

// New starts a server with the TLS certificate (for 127.0.0.1, and any hostname a test
// reaches it by). The principal needs a tenant, a client ID and a client secret or a
// federated credential. The caller must call Close.
func New(p Principal, cert tls.Certificate) (*Server, error) {
	if err := checkPrincipal(p); err != nil {
		return nil, err
	}
	s := &Server{principal: p, principals: map[string]Principal{p.ClientID: p},
		keys: map[string]*rsa.PrivateKey{}, tokens: map[string]issued{}}
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

// checkPrincipal returns why p cannot be accepted, or nil.
func checkPrincipal(p Principal) error {
	if p.TenantID == "" || p.ClientID == "" || (p.ClientSecret == "" && p.FederatedToken == "" && p.Federated == nil) {
		return errors.New("a tenant, a client ID and a client secret or federated credential are required")
	}
	return nil
}

// AddPrincipal accepts another service principal of the server's tenant (replacing one of
// the same client ID).
func (s *Server) AddPrincipal(p Principal) error {
	if err := checkPrincipal(p); err != nil {
		return err
	}
	if p.TenantID != s.principal.TenantID {
		return errors.New("the principal must be of the server's tenant " + s.principal.TenantID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.principals[p.ClientID] = p
	return nil
}

// principalOf returns the principal of clientID.
func (s *Server) principalOf(clientID string) (Principal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.principals[clientID]
	return p, ok
}

// TokenScope returns the ".default" scope that the access token was issued for, and whether
// the server issued it at all, so that other test handlers can check bearer tokens.
func (s *Server) TokenScope(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	return t.scope, ok
}

// TokenClient returns the client ID of the principal that the access token was issued to,
// and whether the server issued it at all.
func (s *Server) TokenClient(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	return t.clientID, ok
}

// newToken issues an access token for scope to the principal of clientID.
func (s *Server) newToken(scope, clientID string) string {
	token := randomHex(24)
	s.mu.Lock()
	s.tokens[token] = issued{scope: scope, clientID: clientID}
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
