package azureapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// clientAssertionType is the client_assertion_type of a federated token.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// openIDConfiguration serves the tenant's OpenID provider metadata.
func (s *Server) openIDConfiguration(w http.ResponseWriter, _ *http.Request) {
	base := s.srv.URL + "/" + s.principal.TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                 base + "/v2.0",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"jwks_uri":               base + "/discovery/v2.0/keys",
	})
}

// token answers the client credentials grant, with a client secret or a federated token as
// client assertion.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	f := r.PostForm
	// MSAL adds the OpenID scopes to the resource's ".default" scope.
	resourceScope := ""
	for _, sc := range strings.Fields(f.Get("scope")) {
		if strings.HasSuffix(sc, "/.default") {
			resourceScope = sc
		}
	}
	assertion, secret := f.Get("client_assertion"), f.Get("client_secret")
	p, known := s.principalOf(f.Get("client_id"))
	switch {
	case f.Get("grant_type") != "client_credentials":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: unsupported grant type")
		return
	case !known:
		s.Refused()
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
		return
	case assertion != "" && f.Get("client_assertion_type") != clientAssertionType:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "AADSTS50027: Invalid client assertion type.")
		return
	case assertion != "" && !federated(p, assertion):
		s.Refused()
		writeOAuthError(w, http.StatusBadRequest, "invalid_request",
			"AADSTS70021: No matching federated identity record found for presented assertion.")
		return
	case assertion == "" && secret == "":
		s.Refused()
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case assertion == "" && !equal(secret, p.ClientSecret):
		s.Refused()
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	case resourceScope == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "AADSTS70011: The provided scope is not valid.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": s.newToken(resourceScope, p.ClientID),
	})
}

// federated reports whether the principal trusts the client assertion: its federated token,
// or what its Federated function accepts.
func federated(p Principal, assertion string) bool {
	if p.Federated != nil && p.Federated(assertion) {
		return true
	}
	return equal(assertion, p.FederatedToken)
}

// equal reports whether a presented credential is the configured one, which must be set.
func equal(presented, configured string) bool {
	return configured != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(configured)) == 1
}

// writeOAuthError writes an OAuth 2.0 error of Entra ID.
func writeOAuthError(w http.ResponseWriter, code int, typ, desc string) {
	writeJSON(w, code, map[string]any{"error": typ, "error_description": desc, "error_codes": []int{}})
}
