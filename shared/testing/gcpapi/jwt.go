package gcpapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// verifyJWT checks a JWT signed by the account's key, as Google documents service account
// authorization: RS256, issued by the account, not expired, and for audience (the token
// endpoint) or, as a self-signed access token, with a scope or an audience.
func (s *Server) verifyJWT(token, audience string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims struct {
		Iss   string  `json:"iss"`
		Aud   string  `json:"aud"`
		Scope string  `json:"scope"`
		Exp   float64 `json:"exp"`
	}
	if decodePart(parts[0], &header) != nil || decodePart(parts[1], &claims) != nil {
		return errors.New("malformed JWT")
	}
	if header.Alg != "RS256" || (header.Kid != "" && header.Kid != s.keyID) {
		return errors.New("unexpected algorithm or key")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("malformed signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("invalid signature")
	}
	switch {
	case claims.Iss != s.email:
		return errors.New("unexpected issuer")
	case time.Unix(int64(claims.Exp), 0).Before(time.Now()):
		return errors.New("expired")
	case audience != "" && claims.Aud != audience:
		return errors.New("unexpected audience")
	case audience == "" && claims.Scope == "" && claims.Aud == "":
		return errors.New("no scope or audience")
	}
	return nil
}

// decodePart decodes a base64url JSON part of a JWT.
func decodePart(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
