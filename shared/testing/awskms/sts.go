package awskms

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// session is the temporary credentials of an assumed role.
type session struct {
	creds Credentials
	role  string
}

// credentialsXML is the Credentials element of AssumeRole's answer.
type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// assumeRoleResponse is AssumeRole's answer, as the STS API reference shows it.
type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials     credentialsXML `xml:"Credentials"`
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// stsError is an error of the STS query protocol.
type stsError struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
}

// sts answers AssumeRole of the STS query protocol (a signed form POST): the server's
// access key may assume any role that a key requires, and gets new temporary credentials.
func (s *Server) sts(w http.ResponseWriter, r *http.Request, body []byte) {
	if _, code, typ, msg := s.authenticate(r, body, "sts"); code != 0 {
		writeSTSError(w, http.StatusForbidden, typ, msg)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "AssumeRole" || form.Get("Version") != "2011-06-15" {
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation")
		return
	}
	role := form.Get("RoleArn")
	if !s.requiredRole(role) || form.Get("RoleSessionName") == "" {
		s.Refused()
		writeSTSError(w, http.StatusForbidden, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: "+role)
		return
	}
	sess := session{role: role, creds: Credentials{
		AccessKeyID: "ASIA" + strings.ToUpper(randomHex(8)), SecretAccessKey: randomHex(20), SessionToken: randomHex(32),
	}}
	s.mu.Lock()
	s.sessions[sess.creds.AccessKeyID] = sess
	s.mu.Unlock()
	var out assumeRoleResponse
	out.Result.Credentials = credentialsXML{
		AccessKeyID: sess.creds.AccessKeyID, SecretAccessKey: sess.creds.SecretAccessKey,
		SessionToken: sess.creds.SessionToken, Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
	out.Result.AssumedRoleUser.Arn = role + "/" + form.Get("RoleSessionName")
	out.Result.AssumedRoleUser.AssumedRoleID = "AROA" + strings.ToUpper(randomHex(8))
	out.RequestID = randomHex(16)
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(out)
}

// requiredRole reports whether a key requires role.
func (s *Server) requiredRole(role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.keyRoles {
		if r == role {
			return true
		}
	}
	return false
}

// writeSTSError writes an error of the query protocol.
func writeSTSError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(code)
	_ = xml.NewEncoder(w).Encode(stsError{Type: "Sender", Code: typ, Message: msg})
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
