// Package vaultserver is a local HTTP server on 127.0.0.1 that speaks the part of HashiCorp
// Vault's HTTP API that SOPS uses: the transit secrets engine's encrypt and decrypt
// endpoints, as Vault documents them. It is not Vault: it has no storage, policies or
// leases; it checks the X-Vault-Token header against one token, creates a key on its first
// encryption, and answers with Vault's JSON shapes and error bodies.
package vaultserver

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// ciphertextPrefix starts every ciphertext of the first version of a key.
const ciphertextPrefix = "vault:v1:"

// Server is a transit engine on 127.0.0.1; it is safe for concurrent use.
type Server struct {
	keyserver.Counts
	token  string
	mounts map[string]bool
	srv    *httptest.Server
	keys   keyserver.Keyring // by "mount/name"
}

// Options configure a Server.
type Options struct {
	// Token is the only token the server accepts.
	Token string
	// Mounts are the paths where a transit engine is mounted; "transit" when empty.
	Mounts []string
	// TLS serves HTTPS with this certificate when set.
	TLS *tls.Certificate
}

// New starts a server. The caller must call Close.
func New(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, errors.New("a token is required")
	}
	if len(o.Mounts) == 0 {
		o.Mounts = []string{"transit"}
	}
	s := &Server{token: o.Token, mounts: map[string]bool{}}
	for _, m := range o.Mounts {
		s.mounts[strings.Trim(m, "/")] = true
	}
	var err error
	s.srv, err = keyserver.Start(http.HandlerFunc(s.serve), o.TLS)
	return s, err
}

// Address is the server's address, as VAULT_ADDR.
func (s *Server) Address() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Encrypt encrypts plaintext with a key of a mount, creating the key if needed, as a POST to
// /v1/<mount>/encrypt/<name> does, without a request.
func (s *Server) Encrypt(mount, name string, plaintext []byte) (string, error) {
	mount = strings.Trim(mount, "/")
	if !s.mounts[mount] {
		return "", fmt.Errorf("no transit engine at %q", mount)
	}
	sealed := s.keys.Seal(mount+"/"+name, plaintext, nil)
	return ciphertextPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// decrypt opens a ciphertext of Encrypt made with the key of mount and name.
func (s *Server) decrypt(mount, name, ciphertext string) ([]byte, int, string) {
	if !strings.HasPrefix(ciphertext, ciphertextPrefix) {
		return nil, http.StatusBadRequest, "invalid ciphertext: no prefix"
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ciphertext, ciphertextPrefix))
	if err != nil {
		return nil, http.StatusBadRequest, "invalid ciphertext: could not decode"
	}
	id, plain, err := s.keys.Open(raw, nil)
	if err != nil || id != mount+"/"+name {
		return nil, http.StatusBadRequest, "cipher: message authentication failed"
	}
	return plain, http.StatusOK, ""
}

// serve answers /v1/<mount>/(encrypt|decrypt)/<name>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != s.token {
		s.Refused()
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	mount, op, name, ok := s.split(path)
	if !ok {
		writeErrors(w, http.StatusNotFound, "no handler for route \""+path+"\"")
		return
	}
	var body struct {
		Plaintext  string `json:"plaintext"`
		Ciphertext string `json:"ciphertext"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to parse JSON input")
		return
	}
	switch op {
	case "encrypt":
		plain, err := base64.StdEncoding.DecodeString(body.Plaintext)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to base64-decode plaintext")
			return
		}
		ct, err := s.Encrypt(mount, name, plain)
		if err != nil {
			writeErrors(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeData(w, map[string]any{"ciphertext": ct, "key_version": 1})
	case "decrypt":
		plain, code, msg := s.decrypt(mount, name, body.Ciphertext)
		if code != http.StatusOK {
			writeErrors(w, code, msg)
			return
		}
		s.Decrypted()
		writeData(w, map[string]any{"plaintext": base64.StdEncoding.EncodeToString(plain)})
	}
}

// split splits "<mount>/<op>/<name>" for a mounted transit engine; a mount may contain "/".
func (s *Server) split(path string) (mount, op, name string, ok bool) {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return "", "", "", false
	}
	mount = strings.Join(parts[:len(parts)-2], "/")
	op, name = parts[len(parts)-2], parts[len(parts)-1]
	if !s.mounts[mount] || (op != "encrypt" && op != "decrypt") || name == "" {
		return "", "", "", false
	}
	return mount, op, name, true
}

// writeData writes Vault's response envelope.
func writeData(w http.ResponseWriter, data map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "lease_duration": 0, "renewable": false})
}

// writeErrors writes Vault's error body.
func writeErrors(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}
