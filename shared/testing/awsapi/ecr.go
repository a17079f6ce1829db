package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// ecrTargetPrefix starts the X-Amz-Target of every ECR operation.
const ecrTargetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// defaultECRAccount is the account of the registry unless SetECRAccount changes it.
const defaultECRAccount = "012345678901"

// ecrTokenLifetime is how long an ECR authorization token is valid, as AWS documents.
const ecrTokenLifetime = 12 * time.Hour

// RequireECRRole makes GetAuthorizationToken answer only requests signed with the temporary
// credentials of roleARN (from AssumeRole or AssumeRoleWithWebIdentity); others get 400
// AccessDeniedException. An empty roleARN lets any accepted credentials call it again.
func (s *Server) RequireECRRole(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecrRole = roleARN
}

// SetECRAccount sets the AWS account ID of the registry that GetAuthorizationToken names in
// its proxy endpoint (012345678901 by default).
func (s *Server) SetECRAccount(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecrAccount = id
}

// ECRPassword is the registry password inside every authorization token the server issues
// (the token is base64 of "AWS:" and it); it is random for each server.
func (s *Server) ECRPassword() string { return s.ecrPassword }

// ECRCalls is the number of ECR requests the server received, answered or refused.
func (s *Server) ECRCalls() int64 { return s.ecrCalls.Load() }

// authorizationData is one entry of GetAuthorizationToken's answer.
type authorizationData struct {
	AuthorizationToken string `json:"authorizationToken"`
	ExpiresAt          int64  `json:"expiresAt"` // epoch seconds, as the JSON 1.1 protocol writes timestamps
	ProxyEndpoint      string `json:"proxyEndpoint"`
}

// ecr answers GetAuthorizationToken of an authenticated request: one token for the
// registry of the account (or of each registry ID asked for, which must be the account's)
// in the region of the request's credential scope.
func (s *Server) ecr(w http.ResponseWriter, r *http.Request, creds Credentials, body []byte) {
	if r.Header.Get("X-Amz-Target") != ecrTargetPrefix+"GetAuthorizationToken" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	var req struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "failed to parse the request")
		return
	}
	s.mu.Lock()
	role, account := s.ecrRole, s.ecrAccount
	s.mu.Unlock()
	if role != "" && s.roleOf(creds) != role {
		s.Refused()
		writeError(w, http.StatusBadRequest, "AccessDeniedException",
			"User is not authorized to perform: ecr:GetAuthorizationToken on resource: *")
		return
	}
	ids := req.RegistryIDs
	if len(ids) == 0 {
		ids = []string{account}
	}
	region := signingRegion(r)
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + s.ecrPassword))
	expires := time.Now().Add(ecrTokenLifetime).Unix()
	out := make([]authorizationData, 0, len(ids))
	for _, id := range ids {
		if id != account {
			s.Refused()
			writeError(w, http.StatusBadRequest, "AccessDeniedException",
				"User is not authorized to perform: ecr:GetAuthorizationToken on resource: registry "+id)
			return
		}
		out = append(out, authorizationData{
			AuthorizationToken: token, ExpiresAt: expires,
			ProxyEndpoint: "https://" + id + ".dkr.ecr." + region + ".amazonaws.com",
		})
	}
	writeJSON(w, map[string]any{"authorizationData": out})
}

// signingRegion is the region of the credential scope of a signed request.
func signingRegion(r *http.Request) string {
	_, rest, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	scope, _, _ := strings.Cut(rest, ",")
	if parts := strings.Split(scope, "/"); len(parts) == 5 {
		return parts[2]
	}
	return ""
}
