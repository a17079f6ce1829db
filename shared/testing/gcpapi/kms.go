package gcpapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// Server is a token endpoint, a Security Token Service, IAM Credentials, and the Cloud KMS
// and Cloud Storage endpoints; it is safe for concurrent use.
type Server struct {
	keyserver.Counts
	email string
	keyID string
	key   *rsa.PrivateKey
	srv   *httptest.Server
	keys  keyserver.Keyring // by crypto key resource name

	mu       sync.Mutex
	tokens   map[string]string   // access token → the principal it stands for
	store    objectStore         // Cloud Storage's buckets
	accept   []func(string) bool // other issuers' access tokens
	fed      federationState     // the STS's providers and IAM Credentials' grants
	required string              // the only principal Storage and KMS accept, "" for any
}

// New starts a server trusting one new service account. The caller must call Close.
func New(email string) (*Server, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 20)
	_, _ = rand.Read(id)
	s := &Server{email: email, keyID: hex.EncodeToString(id), key: key, tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /v1/token", s.exchange)
	mux.HandleFunc("POST /v1/projects/{project}/serviceAccounts/{call}", s.generateAccessToken)
	mux.HandleFunc("POST /v1/", s.kms)
	mux.HandleFunc("GET /storage/v1/b/", s.storage)
	s.srv, err = keyserver.Start(mux, nil)
	return s, err
}

// URL is the server's base URL: the Cloud KMS endpoint, and that of the Security Token
// Service (POST /v1/token) and IAM Credentials (POST
// /v1/projects/-/serviceAccounts/{email}:generateAccessToken).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// ServiceAccountJSON is the key file of the trusted service account, as the Cloud console
// downloads it, with the server's token endpoint.
func (s *Server) ServiceAccountJSON() []byte {
	return s.serviceAccount(s.key)
}

// ForeignServiceAccountJSON is a key file of the same account with another private key,
// which the server does not trust.
func (s *Server) ForeignServiceAccountJSON() []byte {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	return s.serviceAccount(other)
}

// serviceAccount writes a key file with the private key.
func (s *Server) serviceAccount(key *rsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	out, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "ferry-test", "private_key_id": s.keyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": s.email, "client_id": "100000000000000000001",
		"auth_uri": s.srv.URL + "/auth", "token_uri": s.srv.URL + "/token",
		"universe_domain": "googleapis.com",
	})
	return out
}

// Encrypt encrypts plaintext with a crypto key (created if needed), as
// POST /v1/{name}:encrypt does, without a request; it returns the ciphertext.
func (s *Server) Encrypt(name string, plaintext []byte) []byte {
	return s.keys.Seal(name, plaintext, nil)
}

// decrypt opens a ciphertext of Encrypt made with the key of name.
func (s *Server) decrypt(name string, blob []byte) ([]byte, error) {
	id, plain, err := s.keys.Open(blob, nil)
	if err == nil && id != name {
		err = errors.New("the ciphertext was not encrypted with this key")
	}
	return plain, err
}

// token answers the JWT bearer grant with an access token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "malformed form")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeOAuthError(w, "unsupported_grant_type", "Invalid grant_type")
		return
	}
	if err := s.verifyJWT(r.PostForm.Get("assertion"), s.srv.URL+"/token"); err != nil {
		s.Refused()
		writeOAuthError(w, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	token := s.issue(s.email)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
}

// issue makes a new access token of principal.
func (s *Server) issue(principal string) string {
	token := "ya29." + randomHex(24)
	s.mu.Lock()
	s.tokens[token] = principal
	s.mu.Unlock()
	return token
}

// Principal returns the principal an access token of the server stands for: the trusted
// service account for the token endpoint's, the federated principal for the Security Token
// Service's, the impersonated service account for IAM Credentials'.
func (s *Server) Principal(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.tokens[token]
	return p, ok
}

// RequirePrincipal makes Cloud Storage and Cloud KMS accept only the access tokens of
// principal (see Principal), as if only it were granted their roles; "" accepts every token
// again.
func (s *Server) RequirePrincipal(principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.required = principal
}

// authorized reports whether a request carries an access token of the token endpoint, one
// that AcceptTokens accepts, or a self-signed JWT of the account; with RequirePrincipal, only
// an access token of that principal.
func (s *Server) authorized(r *http.Request) bool {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	principal, known := s.tokens[bearer]
	required := s.required
	accept := slices.Clone(s.accept)
	s.mu.Unlock()
	if required != "" {
		return known && principal == required
	}
	for _, valid := range accept {
		known = known || valid(bearer)
	}
	return known || s.verifyJWT(bearer, "") == nil
}

// kms answers POST /v1/{name}:encrypt and :decrypt.
func (s *Server) kms(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.Refused()
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token.")
		return
	}
	name, op, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/"), ":")
	if !ok || (op != "encrypt" && op != "decrypt") {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "unknown method")
		return
	}
	var body struct {
		Plaintext  []byte `json:"plaintext"`
		Ciphertext []byte `json:"ciphertext"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	if op == "encrypt" {
		writeJSON(w, http.StatusOK, map[string]any{"name": name, "ciphertext": s.Encrypt(name, body.Plaintext)})
		return
	}
	plain, err := s.decrypt(name, body.Ciphertext)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Decryption failed: "+err.Error()+".")
		return
	}
	s.Decrypted()
	writeJSON(w, http.StatusOK, map[string]any{"plaintext": plain})
}

// writeOAuthError writes an error of the token endpoint.
func writeOAuthError(w http.ResponseWriter, typ, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": typ, "error_description": desc})
}

// writeStatus writes a Google API error.
func writeStatus(w http.ResponseWriter, code int, status, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}
