package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far a request's X-Amz-Date may be from the server's clock, as AWS allows.
const maxSkew = 15 * time.Minute

// authenticate checks the Signature Version 4 of a request to service (kms, sts, ecr or s3) as
// AWS documents it ("Create a signed AWS API request"): the credential scope, the canonical
// request over the signed headers and the body, and the session token. It returns the
// credentials that signed, or the HTTP status, the error type and the message of a refusal.
func (s *Server) authenticate(r *http.Request, body []byte, service string) (Credentials, int, string, string) {
	creds, code, typ, msg := s.verify(r, body, service)
	if code != 0 {
		s.Refused()
	}
	return creds, code, typ, msg
}

// verify checks a request's signature for authenticate.
func (s *Server) verify(r *http.Request, body []byte, service string) (Credentials, int, string, string) {
	none := Credentials{}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return none, http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[3] != service || scope[4] != "aws4_request" {
		return none, http.StatusBadRequest, "IncompleteSignatureException", "malformed credential scope"
	}
	creds, ok := s.credentials(scope[0])
	if !ok || r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		return none, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	date := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", date)
	if err != nil || !strings.HasPrefix(date, scope[1]) {
		return none, http.StatusBadRequest, "IncompleteSignatureException", "invalid X-Amz-Date"
	}
	if d := time.Since(t); d > maxSkew || d < -maxSkew {
		return none, http.StatusBadRequest, "InvalidSignatureException", "Signature expired"
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !contains(signed, "host") || !contains(signed, "x-amz-date") ||
		(creds.SessionToken != "" && !contains(signed, "x-amz-security-token")) {
		return none, http.StatusBadRequest, "IncompleteSignatureException", "required headers are not signed"
	}
	payload, ok := payloadHash(r, body, service)
	if !ok {
		return none, http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
	}
	canonical := canonicalRequest(r, signed, payload)
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + strings.Join(scope[1:], "/") + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+creds.SecretAccessKey), scope[1])
	for _, part := range scope[2:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return none, http.StatusBadRequest, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided."
	}
	return creds, 0, "", ""
}

// payloadHash is the hash of the payload a canonical request ends with: the body's SHA-256,
// or for S3 the x-amz-content-sha256 header, which must be the body's SHA-256 unless it says
// UNSIGNED-PAYLOAD; ok is false when it does not match the body.
func payloadHash(r *http.Request, body []byte, service string) (hash string, ok bool) {
	sum := sha256.Sum256(body)
	hash = hex.EncodeToString(sum[:])
	if service != "s3" {
		return hash, true
	}
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	if claimed == "UNSIGNED-PAYLOAD" {
		return claimed, true
	}
	return claimed, claimed == hash
}

// canonicalRequest builds the canonical request of Signature Version 4 over the payload's
// hash.
func canonicalRequest(r *http.Request, signed []string, payload string) string {
	var headers strings.Builder
	for _, h := range signed {
		var values []string
		switch h {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			values = r.Header.Values(h)
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		headers.WriteString(h + ":" + strings.Join(values, ",") + "\n")
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	return strings.Join([]string{
		r.Method, path, canonicalQuery(r.URL.Query()), headers.String(),
		strings.Join(signed, ";"), payload,
	}, "\n")
}

// canonicalQuery sorts and encodes the query parameters.
func canonicalQuery(q url.Values) string {
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, uriEncode(k)+"="+uriEncode(v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes as Signature Version 4 asks (spaces as %20).
func uriEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// hmacSHA256 is HMAC-SHA256 of data with key.
func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
