// Package vaultserver is a local HTTP server on 127.0.0.1 that speaks the part of HashiCorp
// Vault's HTTP API that SOPS uses: the transit secrets engine's encrypt and decrypt
// endpoints, as Vault documents them. It is not Vault: it has no storage, policies or
// leases; it checks the X-Vault-Token header against one token, creates a key on its first
// encryption, and answers with Vault's JSON shapes and error bodies.
package vaultserver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// ciphertextPrefix starts every ciphertext of the first version of a key.
const ciphertextPrefix = "vault:v1:"

// Server is a transit engine on 127.0.0.1; it is safe for concurrent use.
type Server struct {
	token  string
	mounts map[string]bool
	srv    *httptest.Server

	mu   sync.Mutex
	keys map[string][]byte // "mount/name" -> AES-256 key

	decrypts, denied atomic.Int64
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
	s := &Server{token: o.Token, mounts: map[string]bool{}, keys: map[string][]byte{}}
	for _, m := range o.Mounts {
		s.mounts[strings.Trim(m, "/")] = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener = ln
	if o.TLS != nil {
		s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*o.TLS}, MinVersion: tls.VersionTLS12}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	return s, nil
}

// Address is the server's address, as VAULT_ADDR.
func (s *Server) Address() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Decrypts counts the successful decryptions.
func (s *Server) Decrypts() int64 { return s.decrypts.Load() }

// Denied counts the requests refused for their token.
func (s *Server) Denied() int64 { return s.denied.Load() }

// Encrypt encrypts plaintext with a key of a mount, creating the key if needed, as a POST to
// /v1/<mount>/encrypt/<name> does, without a request.
func (s *Server) Encrypt(mount, name string, plaintext []byte) (string, error) {
	mount = strings.Trim(mount, "/")
	if !s.mounts[mount] {
		return "", fmt.Errorf("no transit engine at %q", mount)
	}
	gcm, err := s.aead(mount+"/"+name, true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nonce, nonce, plaintext, nil)
	return ciphertextPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// decrypt opens a ciphertext of Encrypt.
func (s *Server) decrypt(mount, name, ciphertext string) ([]byte, int, string) {
	gcm, err := s.aead(mount+"/"+name, false)
	if err != nil {
		return nil, http.StatusBadRequest, "encryption key not found"
	}
	if !strings.HasPrefix(ciphertext, ciphertextPrefix) {
		return nil, http.StatusBadRequest, "invalid ciphertext: no prefix"
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ciphertext, ciphertextPrefix))
	if err != nil || len(raw) < gcm.NonceSize() {
		return nil, http.StatusBadRequest, "invalid ciphertext: could not decode"
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return nil, http.StatusBadRequest, "cipher: message authentication failed"
	}
	return plain, http.StatusOK, ""
}

// aead returns the cipher of a key, creating the key when create is set.
func (s *Server) aead(id string, create bool) (cipher.AEAD, error) {
	s.mu.Lock()
	key, ok := s.keys[id]
	if !ok && create {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.keys[id] = key
	}
	s.mu.Unlock()
	if key == nil {
		return nil, errors.New("no such key")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// serve answers /v1/<mount>/(encrypt|decrypt)/<name>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != s.token {
		s.denied.Add(1)
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
		s.decrypts.Add(1)
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
