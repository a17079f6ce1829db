package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strings"
	"time"
)

// serverUserARN is the identity of the server's own access key.
const serverUserARN = "arn:aws:iam::000000000000:user/awsapi"

// callerIdentityResponse is GetCallerIdentity's answer, as the STS API reference shows it.
type callerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// getCallerIdentity answers a presigned GET of GetCallerIdentity (query-string Signature
// Version 4, as EKS tokens carry it) with the ARN of the credentials that signed it.
func (s *Server) getCallerIdentity(w http.ResponseWriter, r *http.Request) {
	creds, code, typ, msg := s.verifyPresigned(r, "sts")
	if code != 0 {
		s.Refused()
		writeSTSError(w, code, typ, msg)
		return
	}
	arn := serverUserARN
	if creds.AccessKeyID != s.creds.AccessKeyID {
		s.mu.Lock()
		arn = s.sessions[creds.AccessKeyID].arn
		s.mu.Unlock()
	}
	var out callerIdentityResponse
	out.Result.Arn, out.Result.UserID = arn, creds.AccessKeyID
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		out.Result.Account = parts[4]
	}
	out.RequestID = randomHex(16)
	writeXML(w, out)
}

// verifyPresigned checks the query-string Signature Version 4 of a presigned request to
// service: the algorithm, credential scope, session token, date (within the allowed skew:
// X-Amz-Expires must be given but, as EKS tokens rely on, does not shorten it), the signed
// headers (host at least) and the signature over the canonical request of an empty payload.
func (s *Server) verifyPresigned(r *http.Request, service string) (Credentials, int, string, string) {
	none := Credentials{}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return none, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[3] != service || scope[4] != "aws4_request" {
		return none, http.StatusForbidden, "IncompleteSignature", "malformed credential scope"
	}
	creds, ok := s.credentials(scope[0])
	if !ok || q.Get("X-Amz-Security-Token") != creds.SessionToken {
		return none, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."
	}
	date := q.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", date)
	if err != nil || !strings.HasPrefix(date, scope[1]) {
		return none, http.StatusForbidden, "IncompleteSignature", "invalid X-Amz-Date"
	}
	expires, err := time.ParseDuration(q.Get("X-Amz-Expires") + "s")
	if err != nil || expires <= 0 || expires > 7*24*time.Hour {
		return none, http.StatusForbidden, "IncompleteSignature", "invalid X-Amz-Expires"
	}
	if d := time.Since(t); d > maxSkew || d < -maxSkew {
		return none, http.StatusForbidden, "ExpiredToken", "Signature expired"
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	if !contains(signed, "host") {
		return none, http.StatusForbidden, "IncompleteSignature", "required headers are not signed"
	}
	given := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	unsigned := r.Clone(r.Context())
	unsigned.URL.RawQuery = q.Encode()
	empty, _ := payloadHash(unsigned, nil, "sts")
	canonical := canonicalRequest(unsigned, signed, empty)
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + strings.Join(scope[1:], "/") + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+creds.SecretAccessKey), scope[1])
	for _, part := range scope[2:] {
		key = hmacSHA256(key, part)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(given)) {
		return none, http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided."
	}
	return creds, 0, "", ""
}
