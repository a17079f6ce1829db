package awsapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ldapIdentityResponse is the answer of MinIO's AssumeRoleWithLDAPIdentity, as MinIO's STS
// documentation shows it.
type ldapIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithLDAPIdentityResponse"`
	Result  struct {
		Credentials credentialsXML `xml:"Credentials"`
	} `xml:"AssumeRoleWithLDAPIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// LDAPRole is the role of the sessions that AssumeRoleWithLDAPIdentity gives the LDAP user
// username, for S3Front.RequireRole.
func LDAPRole(username string) string { return "ldap:" + username }

// AllowLDAPIdentity adds an LDAP user that MinIO's AssumeRoleWithLDAPIdentity knows: its
// temporary credentials, given for this username and password only, are of the role
// LDAPRole(username). A later call for the same user replaces the password.
func (s *Server) AllowLDAPIdentity(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ldapUsers[username] = password
}

// assumeRoleWithLDAPIdentity answers AssumeRoleWithLDAPIdentity (LDAPUsername,
// LDAPPassword, optional DurationSeconds of 900 to 31536000): a user the server does not
// know, or a wrong password, is refused as MinIO refuses it.
func (s *Server) assumeRoleWithLDAPIdentity(w http.ResponseWriter, form url.Values) {
	user, password := form.Get("LDAPUsername"), form.Get("LDAPPassword")
	if user == "" || password == "" {
		writeSTSError(w, http.StatusBadRequest, "MissingParameter", "LDAPUsername and LDAPPassword are required")
		return
	}
	duration := time.Hour
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 31536000 {
			writeSTSError(w, http.StatusBadRequest, "InvalidParameterValue", "DurationSeconds must be between 900 and 31536000")
			return
		}
		duration = time.Duration(n) * time.Second
	}
	s.mu.Lock()
	want, ok := s.ldapUsers[user]
	s.mu.Unlock()
	if !ok || want != password {
		s.Refused()
		writeSTSError(w, http.StatusBadRequest, "InvalidParameterValue", "LDAP server error: invalid username or password")
		return
	}
	var out ldapIdentityResponse
	out.Result.Credentials = s.newSession(LDAPRole(user), "uid="+user, duration)
	out.RequestID = randomHex(16)
	writeXML(w, out)
}
