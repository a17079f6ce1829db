// Package awskms is a local HTTP server on 127.0.0.1 that speaks the part of the AWS Key
// Management Service API that SOPS uses, as AWS documents it: the JSON 1.1 protocol
// (POST /, Content-Type application/x-amz-json-1.1, X-Amz-Target TrentService.Encrypt or
// TrentService.Decrypt), requests signed with Signature Version 4 by one access key, and
// AWS's error shapes. It is not KMS: keys are AES-256-GCM keys created on first use, and the
// ciphertext blob is its own format (the key ARN, a nonce and the sealed plaintext).
package awskms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// Server is a KMS endpoint on 127.0.0.1; it is safe for concurrent use.
type Server struct {
	keyserver.Counts
	creds Credentials
	srv   *httptest.Server
	keys  keyserver.Keyring // by ARN

	mu       sync.Mutex
	keyRoles map[string]string  // ARN -> the role whose credentials alone may use the key
	sessions map[string]session // temporary access key ID -> session of AssumeRole
}

// Credentials are the one access key the server accepts.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// New starts a server accepting requests signed with creds. The caller must call Close.
func New(creds Credentials) (*Server, error) {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, errors.New("an access key is required")
	}
	s := &Server{creds: creds, keyRoles: map[string]string{}, sessions: map[string]session{}}
	var err error
	s.srv, err = keyserver.Start(http.HandlerFunc(s.serve), nil)
	return s, err
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// RequireRole makes the key of arn usable only with the temporary credentials of role,
// which the server's access key gets from STS AssumeRole (served at the same address).
func (s *Server) RequireRole(arn, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyRoles[arn] = role
}

// credentials returns the secret of an access key ID: the server's or a session's.
func (s *Server) credentials(accessKeyID string) (Credentials, bool) {
	if accessKeyID == s.creds.AccessKeyID {
		return s.creds, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[accessKeyID]
	return sess.creds, ok
}

// roleOf is the role of the credentials, "" for the server's access key.
func (s *Server) roleOf(c Credentials) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[c.AccessKeyID].role
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Encrypt encrypts plaintext with the key of arn (created if needed) and the encryption
// context, as TrentService.Encrypt does, without a request; it returns the ciphertext blob.
func (s *Server) Encrypt(arn string, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	return s.keys.Seal(arn, plaintext, contextAAD(encCtx)), nil
}

// contextAAD binds the encryption context to a ciphertext, in a canonical order.
func contextAAD(encCtx map[string]string) []byte {
	names := make([]string, 0, len(encCtx))
	for k := range encCtx {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%d:%s=%d:%s;", len(k), k, len(encCtx[k]), encCtx[k])
	}
	return []byte(b.String())
}

// kmsRequest is the body of Encrypt and Decrypt requests.
type kmsRequest struct {
	KeyID             string            `json:"KeyId"`
	Plaintext         []byte            `json:"Plaintext"`
	CiphertextBlob    []byte            `json:"CiphertextBlob"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
}

// serve answers the JSON 1.1 protocol.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "failed to read the request")
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.sts(w, r, body)
		return
	}
	creds, code, typ, msg := s.authenticate(r, body, "kms")
	if code != 0 {
		writeError(w, code, typ, msg)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "unexpected content type "+ct)
		return
	}
	var req kmsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "failed to parse the request")
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "TrentService.Encrypt":
		blob, err := s.Encrypt(req.KeyID, req.Plaintext, req.EncryptionContext)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
			return
		}
		writeJSON(w, map[string]any{"CiphertextBlob": blob, "KeyId": req.KeyID})
	case "TrentService.Decrypt":
		arn, plain, err := s.keys.Open(req.CiphertextBlob, contextAAD(req.EncryptionContext))
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidCiphertextException", "")
			return
		}
		if role := s.keyRole(arn); role != "" && s.roleOf(creds) != role {
			s.Refused()
			writeError(w, http.StatusBadRequest, "AccessDeniedException", "The caller is not authorized to use the key.")
			return
		}
		if req.KeyID != "" && req.KeyID != arn {
			writeError(w, http.StatusBadRequest, "IncorrectKeyException",
				"The key ID in the request does not identify a CMK that can perform this operation.")
			return
		}
		s.Decrypted()
		writeJSON(w, map[string]any{"Plaintext": plain, "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "")
	}
}

// keyRole is the role a key requires, or "".
func (s *Server) keyRole(arn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyRoles[arn]
}

// writeJSON writes a JSON 1.1 answer.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an error of the JSON 1.1 protocol.
func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
