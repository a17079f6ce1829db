// Package azurekv is a local HTTPS server on 127.0.0.1 that speaks, as Microsoft documents
// them, the two services an Azure Key Vault client with a service principal talks to: the
// Microsoft Entra ID token endpoint (OpenID configuration and the client credentials grant
// of OAuth 2.0, checking the tenant, client ID and client secret) and Key Vault's key
// operations (the bearer challenge of an unauthenticated request, then encrypt and decrypt
// with RSA-OAEP-256, checking the access token). It is not Azure: keys are RSA keys created
// on first use, tokens are random strings, and nothing else of either API is served.
package azurekv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// Principal is the one service principal the server accepts.
type Principal struct {
	TenantID, ClientID, ClientSecret string
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

// New starts a server with the TLS certificate (for 127.0.0.1). The caller must call Close.
func New(p Principal, cert tls.Certificate) (*Server, error) {
	if p.TenantID == "" || p.ClientID == "" || p.ClientSecret == "" {
		return nil, errors.New("a tenant, client ID and client secret are required")
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

// Encrypt encrypts plaintext with RSA-OAEP-256 with a key (created if needed), as the
// encrypt operation does, without a request; it returns the result base64url-encoded, as
// sops stores it.
func (s *Server) Encrypt(name, version string, plaintext []byte) (string, error) {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &s.key(name, version, true).PublicKey, plaintext, nil)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ct), nil
}

// key returns a key, creating it when create is set; nil when missing.
func (s *Server) key(name, version string, create bool) *rsa.PrivateKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[name+"/"+version]
	if k == nil && create {
		k, _ = rsa.GenerateKey(rand.Reader, 2048)
		s.keys[name+"/"+version] = k
	}
	return k
}

// openIDConfiguration serves the tenant's OpenID provider metadata.
func (s *Server) openIDConfiguration(w http.ResponseWriter, _ *http.Request) {
	base := s.srv.URL + "/" + s.principal.TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                 base + "/v2.0",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"jwks_uri":               base + "/discovery/v2.0/keys",
	})
}

// token answers the client credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	f := r.PostForm
	// MSAL adds the OpenID scopes to the resource's ".default" scope.
	resourceScope := ""
	for _, sc := range strings.Fields(f.Get("scope")) {
		if strings.HasSuffix(sc, "/.default") {
			resourceScope = sc
		}
	}
	switch {
	case f.Get("grant_type") != "client_credentials":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: unsupported grant type")
		return
	case f.Get("client_id") != s.principal.ClientID:
		s.Refused()
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
		return
	case f.Get("client_secret") != s.principal.ClientSecret:
		s.Refused()
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	case resourceScope == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "AADSTS70011: The provided scope is not valid.")
		return
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	token := hex.EncodeToString(raw)
	s.mu.Lock()
	s.tokens[token] = resourceScope
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token,
	})
}

// resource is the Key Vault resource of a request: the parent domain of the vault's host,
// as for <name>.vault.azure.net and https://vault.azure.net.
func resource(host string) string {
	_, parent, _ := strings.Cut(host, ".")
	return "https://" + parent
}

// keyOperation answers encrypt and decrypt, after the bearer challenge.
func (s *Server) keyOperation(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="%s/%s", resource="%s"`,
			s.srv.URL, s.principal.TenantID, resource(r.Host)))
		writeKVError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	s.mu.Lock()
	scope, ok := s.tokens[strings.TrimPrefix(auth, "Bearer ")]
	s.mu.Unlock()
	if !ok || scope != resource(r.Host)+"/.default" {
		s.Refused()
		writeKVError(w, http.StatusUnauthorized, "Unauthorized", "AKV10032: Invalid issuer.")
		return
	}
	var body struct {
		Alg   string `json:"alg"`
		Value string `json:"value"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || body.Alg != "RSA-OAEP-256" {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The algorithm or the value is not valid.")
		return
	}
	value, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(body.Value, "="))
	if err != nil {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The value is not base64url.")
		return
	}
	name, version := r.PathValue("name"), r.PathValue("version")
	kid := s.srv.URL + "/keys/" + name + "/" + version
	switch r.PathValue("op") {
	case "encrypt":
		out, err := s.Encrypt(name, version, value)
		if err != nil {
			writeKVError(w, http.StatusBadRequest, "BadParameter", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kid": kid, "value": out})
	case "decrypt":
		k := s.key(name, version, false)
		if k == nil {
			writeKVError(w, http.StatusNotFound, "KeyNotFound", "A key with (name/id) "+name+" was not found in this key vault.")
			return
		}
		plain, err := rsa.DecryptOAEP(sha256.New(), nil, k, value, nil)
		if err != nil {
			writeKVError(w, http.StatusBadRequest, "BadParameter", "Decryption failed.")
			return
		}
		s.Decrypted()
		writeJSON(w, http.StatusOK, map[string]string{"kid": kid, "value": base64.RawURLEncoding.EncodeToString(plain)})
	default:
		writeKVError(w, http.StatusBadRequest, "BadParameter", "unsupported operation")
	}
}

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOAuthError writes an OAuth 2.0 error of Entra ID.
func writeOAuthError(w http.ResponseWriter, code int, typ, desc string) {
	writeJSON(w, code, map[string]any{"error": typ, "error_description": desc, "error_codes": []int{}})
}

// writeKVError writes a Key Vault error.
func writeKVError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": typ, "message": msg}})
}
