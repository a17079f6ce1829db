package awsapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// RequireRole makes the key of arn usable only with the temporary credentials of role,
// which the server's access key gets from STS AssumeRole (served at the same address).
func (s *Server) RequireRole(arn, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyRoles[arn] = role
}

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

// kms answers TrentService.Encrypt and TrentService.Decrypt of an authenticated request.
func (s *Server) kms(w http.ResponseWriter, r *http.Request, creds Credentials, body []byte) {
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
