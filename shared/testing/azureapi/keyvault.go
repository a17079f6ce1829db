package azureapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

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

// RequireKeyClient lets only the access tokens of the principal of clientID use the vault's
// keys, as a vault on which only that identity has a role (403 Forbidden for the others); ""
// lets every principal's again.
func (s *Server) RequireKeyClient(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyClient = clientID
}

// keyClientAllowed reports whether the principal of clientID may use the vault's keys.
func (s *Server) keyClientAllowed(clientID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyClient == "" || s.keyClient == clientID
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
	token := strings.TrimPrefix(auth, "Bearer ")
	scope, ok := s.TokenScope(token)
	if !ok || scope != resource(r.Host)+"/.default" {
		s.Refused()
		writeKVError(w, http.StatusUnauthorized, "Unauthorized", "AKV10032: Invalid issuer.")
		return
	}
	if client, _ := s.TokenClient(token); !s.keyClientAllowed(client) {
		s.Refused()
		writeKVError(w, http.StatusForbidden, "Forbidden", "Caller is not authorized to perform action on resource.")
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

// writeKVError writes a Key Vault error.
func writeKVError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": typ, "message": msg}})
}
