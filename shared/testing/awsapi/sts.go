package awsapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// session is the temporary credentials of an assumed role.
type session struct {
	creds Credentials
	role  string
	arn   string // of the assumed-role session, as GetCallerIdentity answers
}

// credentialsXML is the Credentials element of an STS answer.
type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// assumedRoleUser is the AssumedRoleUser element of an STS answer.
type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

// assumeRoleResponse is AssumeRole's answer, as the STS API reference shows it.
type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials     credentialsXML  `xml:"Credentials"`
		AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// webIdentityResponse is AssumeRoleWithWebIdentity's answer, as the STS API reference shows
// it.
type webIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result  struct {
		SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
		Audience                    string          `xml:"Audience,omitempty"`
		AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
		Credentials                 credentialsXML  `xml:"Credentials"`
		Provider                    string          `xml:"Provider,omitempty"`
	} `xml:"AssumeRoleWithWebIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// stsError is an error of the STS query protocol.
type stsError struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// AllowWebIdentity lets the web identity token, and only it, assume roleARN through
// AssumeRoleWithWebIdentity; the temporary credentials it gets belong to that role. A later
// call for the same role replaces the token (and a function of AllowWebIdentityFunc).
func (s *Server) AllowWebIdentity(roleARN, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.webIdentityFuncs, roleARN)
	s.webIdentity[roleARN] = token
}

// AllowWebIdentityFunc lets the web identity tokens that valid accepts assume roleARN through
// AssumeRoleWithWebIdentity, as an IAM OIDC provider checks a token's signature, issuer and
// audience: valid returns the token's subject, which STS reports, and whether it is genuine
// and may assume the role. It replaces a token that AllowWebIdentity allowed for the role.
func (s *Server) AllowWebIdentityFunc(roleARN string, valid func(token string) (subject string, ok bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.webIdentity, roleARN)
	s.webIdentityFuncs[roleARN] = valid
}

// webIdentityRole returns whether token is one that some role allows at all, and, if it
// may assume role, the subject a validating function found in it.
func (s *Server) webIdentityRole(role, token string) (known, allowed bool, subject string) {
	s.mu.Lock()
	want, ok := s.webIdentity[role]
	funcs := make(map[string]func(string) (string, bool), len(s.webIdentityFuncs))
	for r, f := range s.webIdentityFuncs {
		funcs[r] = f
	}
	for _, t := range s.webIdentity {
		known = known || t == token
	}
	s.mu.Unlock()
	if ok && want == token {
		return true, true, ""
	}
	for r, valid := range funcs {
		if sub, ok := valid(token); ok {
			known = true
			if r == role {
				return true, true, sub
			}
		}
	}
	return known, false, ""
}

// sts answers the STS query protocol: AssumeRoleWithWebIdentity, which is not signed, and
// AssumeRole, signed by the server's access key, which may assume any role that a key
// requires.
func (s *Server) sts(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("Action") == "AssumeRoleWithWebIdentity" && form.Get("Version") == "2011-06-15" {
		s.assumeRoleWithWebIdentity(w, form)
		return
	}
	if err == nil && form.Get("Action") == "AssumeRoleWithLDAPIdentity" && form.Get("Version") == "2011-06-15" {
		s.assumeRoleWithLDAPIdentity(w, form)
		return
	}
	if _, code, typ, msg := s.authenticate(r, body, "sts"); code != 0 {
		writeSTSError(w, http.StatusForbidden, typ, msg)
		return
	}
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
	var out assumeRoleResponse
	out.Result.AssumedRoleUser = newAssumedRoleUser(role, form.Get("RoleSessionName"))
	out.Result.Credentials = s.newSession(role, out.Result.AssumedRoleUser.Arn, time.Hour)
	out.RequestID = randomHex(16)
	writeXML(w, out)
}

// assumeRoleWithWebIdentity answers AssumeRoleWithWebIdentity: a token that no role allows
// is not valid (400 InvalidIdentityToken), one that another role allows is denied (403
// AccessDenied).
func (s *Server) assumeRoleWithWebIdentity(w http.ResponseWriter, form url.Values) {
	role, name, token := form.Get("RoleArn"), form.Get("RoleSessionName"), form.Get("WebIdentityToken")
	if role == "" || token == "" || len(name) < 2 || len(name) > 64 {
		writeSTSError(w, http.StatusBadRequest, "ValidationError",
			"1 validation error detected: RoleArn, RoleSessionName (2 to 64 characters) and WebIdentityToken are required")
		return
	}
	duration := time.Hour
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			writeSTSError(w, http.StatusBadRequest, "ValidationError",
				"1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint")
			return
		}
		duration = time.Duration(n) * time.Second
	}
	known, allowed, subject := s.webIdentityRole(role, token)
	switch {
	case !known:
		s.Refused()
		writeSTSError(w, http.StatusBadRequest, "InvalidIdentityToken",
			"The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
		return
	case !allowed:
		s.Refused()
		writeSTSError(w, http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	var out webIdentityResponse
	sub, iss, aud := jwtClaims(token)
	if subject != "" {
		sub = subject
	}
	if sub == "" {
		sub = "web-identity"
	}
	out.Result.SubjectFromWebIdentityToken, out.Result.Audience = sub, aud
	out.Result.Provider = strings.TrimPrefix(iss, "https://")
	out.Result.AssumedRoleUser = newAssumedRoleUser(role, name)
	out.Result.Credentials = s.newSession(role, out.Result.AssumedRoleUser.Arn, duration)
	out.RequestID = randomHex(16)
	writeXML(w, out)
}

// newSession makes temporary credentials of role, for the session arn, valid for d.
func (s *Server) newSession(role, arn string, d time.Duration) credentialsXML {
	sess := session{role: role, arn: arn, creds: Credentials{
		AccessKeyID: "ASIA" + strings.ToUpper(randomHex(8)), SecretAccessKey: randomHex(20), SessionToken: randomHex(32),
	}}
	s.mu.Lock()
	s.sessions[sess.creds.AccessKeyID] = sess
	s.mu.Unlock()
	return credentialsXML{
		AccessKeyID: sess.creds.AccessKeyID, SecretAccessKey: sess.creds.SecretAccessKey,
		SessionToken: sess.creds.SessionToken, Expiration: time.Now().Add(d).UTC().Format(time.RFC3339),
	}
}

// newAssumedRoleUser names the session of a role as STS does: the session of the role
// arn:aws:iam::<account>:role/<path/><name> is
// arn:aws:sts::<account>:assumed-role/<name>/<session>.
func newAssumedRoleUser(role, sessionName string) assumedRoleUser {
	id := "AROA" + strings.ToUpper(randomHex(8)) + ":" + sessionName
	parts := strings.SplitN(role, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return assumedRoleUser{Arn: role + "/" + sessionName, AssumedRoleID: id}
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return assumedRoleUser{
		Arn:           strings.Join([]string{"arn", parts[1], "sts", "", parts[4], "assumed-role/" + name + "/" + sessionName}, ":"),
		AssumedRoleID: id,
	}
}

// webClaims are the claims of a web identity token that STS reports.
type webClaims struct {
	Subject  string `json:"sub"`
	Issuer   string `json:"iss"`
	Audience any    `json:"aud"` // a string or a list of strings
}

// jwtClaims reads, without verifying it, the subject, issuer and (first) audience of a
// token that is a JWT; a token that is not one has none.
func jwtClaims(token string) (sub, iss, aud string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c webClaims
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return "", "", ""
	}
	switch a := c.Audience.(type) {
	case string:
		aud = a
	case []any:
		if len(a) > 0 {
			aud, _ = a[0].(string)
		}
	}
	return c.Subject, c.Issuer, aud
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

// writeXML writes an answer of the query protocol.
func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(v)
}

// writeSTSError writes an error of the query protocol.
func writeSTSError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(code)
	_ = xml.NewEncoder(w).Encode(stsError{Type: "Sender", Code: typ, Message: msg, RequestID: randomHex(16)})
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
