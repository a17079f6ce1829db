package gcpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The values of a token exchange, as Google's Security Token Service documents them
// (RFC 8693).
const (
	tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessTokenType    = "urn:ietf:params:oauth:token-type:access_token"
	jwtTokenType       = "urn:ietf:params:oauth:token-type:jwt"
	idTokenType        = "urn:ietf:params:oauth:token-type:id_token"
	cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
)

// providerName matches the resource name of a workload identity pool provider; the groups
// are the project number and the pool.
var providerName = regexp.MustCompile(`^projects/([0-9]+)/locations/global/workloadIdentityPools/([^/]+)/providers/[^/]+$`)

// federationState is what the Security Token Service trusts and whom IAM Credentials lets
// impersonate whom; the Server's mutex guards it.
type federationState struct {
	providers      map[string]federation      // by the audience of the exchange
	grants         map[string]map[string]bool // service account email → principals allowed
	exchanges      int64
	impersonations int64
}

// federation is a workload identity pool provider, or the identity namespace of a GKE
// cluster: the audiences its subject tokens must have, how it checks them, and whom they
// stand for.
type federation struct {
	tokenAudiences []string
	verify         func(token string) (subject string, ok bool)
	principal      func(subject string) string
}

// AddWorkloadIdentityProvider makes the Security Token Service trust, for the workload
// identity pool provider name (projects/<number>/locations/global/workloadIdentityPools/
// <pool>/providers/<provider>), the subject tokens that verify finds genuine (their signature,
// as Google checks it with the issuer's keys) and returns their subject of: the exchange's
// audience is //iam.googleapis.com/<name>, a subject token's aud claim must be that or
// https://iam.googleapis.com/<name> (a provider's default allowed audiences), and its access
// token stands for WorkloadIdentityPrincipal(name, subject).
func (s *Server) AddWorkloadIdentityProvider(name string, verify func(token string) (string, bool)) error {
	if !providerName.MatchString(name) {
		return fmt.Errorf("'%s' is not a workload identity pool provider name", name)
	}
	s.addFederation("//iam.googleapis.com/"+name, federation{
		tokenAudiences: []string{"//iam.googleapis.com/" + name, "https://iam.googleapis.com/" + name},
		verify:         verify,
		principal:      func(subject string) string { return WorkloadIdentityPrincipal(name, subject) },
	})
	return nil
}

// WorkloadIdentityPrincipal is the IAM principal of the subject of a workload identity pool
// provider's tokens: principal://iam.googleapis.com/projects/<number>/locations/global/
// workloadIdentityPools/<pool>/subject/<subject>.
func WorkloadIdentityPrincipal(provider, subject string) string {
	pool, _, _ := strings.Cut(provider, "/providers/")
	return "principal://iam.googleapis.com/" + pool + "/subject/" + subject
}

// AddGKECluster makes the Security Token Service trust the ServiceAccount tokens of the GKE
// cluster project/location/name that verify finds genuine, as GKE's workload identity
// exchanges them: the exchange's audience is identitynamespace:<project>.svc.id.goog:
// https://container.googleapis.com/v1/projects/<project>/locations/<location>/clusters/<name>,
// a subject token's aud claim must be the pool <project>.svc.id.goog, and its access token
// stands for GKEPrincipal.
func (s *Server) AddGKECluster(project, location, name string, verify func(token string) (string, bool)) {
	pool := project + ".svc.id.goog"
	cluster := "https://container.googleapis.com/v1/projects/" + project + "/locations/" + location + "/clusters/" + name
	s.addFederation("identitynamespace:"+pool+":"+cluster, federation{
		tokenAudiences: []string{pool},
		verify:         verify,
		principal: func(subject string) string {
			parts := strings.Split(subject, ":")
			if len(parts) != 4 || parts[0]+":"+parts[1] != "system:serviceaccount" {
				return "serviceAccount:" + pool + "[" + subject + "]"
			}
			return GKEPrincipal(project, parts[2], parts[3])
		},
	})
}

// GKEPrincipal is the IAM principal of a Kubernetes ServiceAccount of a GKE cluster of
// project: serviceAccount:<project>.svc.id.goog[<namespace>/<name>].
func GKEPrincipal(project, namespace, name string) string {
	return "serviceAccount:" + project + ".svc.id.goog[" + namespace + "/" + name + "]"
}

// addFederation adds a provider under the audience of its exchanges.
func (s *Server) addFederation(audience string, f federation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fed.providers == nil {
		s.fed.providers = map[string]federation{}
	}
	s.fed.providers[audience] = f
}

// AllowImpersonation lets principal get access tokens of the service account email through
// IAM Credentials (the role Workload Identity User on the account).
func (s *Server) AllowImpersonation(email, principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fed.grants == nil {
		s.fed.grants = map[string]map[string]bool{}
	}
	if s.fed.grants[email] == nil {
		s.fed.grants[email] = map[string]bool{}
	}
	s.fed.grants[email][principal] = true
}

// Exchanges is the number of access tokens the Security Token Service issued.
func (s *Server) Exchanges() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fed.exchanges
}

// Impersonations is the number of access tokens IAM Credentials issued.
func (s *Server) Impersonations() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fed.impersonations
}

// exchange answers POST /v1/token of the Security Token Service: a JWT of a trusted provider
// for a federated access token, checking the form as Google documents it.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeOAuthError(w, "invalid_request", "The request must be a form (application/x-www-form-urlencoded).")
		return
	}
	form := r.PostForm
	switch tt := form.Get("subject_token_type"); {
	case form.Get("grant_type") != tokenExchangeGrant:
		writeOAuthError(w, "unsupported_grant_type", "Invalid value for \"grant_type\".")
		return
	case form.Get("requested_token_type") != accessTokenType:
		writeOAuthError(w, "invalid_request", "Invalid value for \"requested_token_type\".")
		return
	case tt != jwtTokenType && tt != idTokenType:
		writeOAuthError(w, "invalid_request", "Invalid value for \"subject_token_type\".")
		return
	case !slices.Contains(strings.Fields(form.Get("scope")), cloudPlatformScope):
		writeOAuthError(w, "invalid_scope", "The scope must include "+cloudPlatformScope+".")
		return
	}
	s.mu.Lock()
	fed, ok := s.fed.providers[form.Get("audience")]
	s.mu.Unlock()
	if !ok {
		s.Refused()
		writeOAuthError(w, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid. "+
			"This might either be because the pool or provider is disabled or deleted or because it doesn't exist.")
		return
	}
	subject, refusal := fed.check(form.Get("subject_token"))
	if refusal != "" {
		s.Refused()
		writeOAuthError(w, "invalid_grant", refusal)
		return
	}
	token := s.issue(fed.principal(subject))
	s.mu.Lock()
	s.fed.exchanges++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "issued_token_type": accessTokenType,
		"token_type": "Bearer", "expires_in": 3600})
}

// audienceClaim is a JWT's aud claim, a string or an array of strings.
type audienceClaim []string

// UnmarshalJSON reads either form.
func (a *audienceClaim) UnmarshalJSON(raw []byte) error {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// check returns the subject of a subject token the provider trusts: a JWT for one of its
// audiences, not expired, whose signature verify accepts for the same subject; otherwise
// the description of the refusal, worded as the Security Token Service words it.
func (f federation) check(token string) (subject, refusal string) {
	parts := strings.Split(token, ".")
	var claims struct {
		Aud audienceClaim `json:"aud"`
		Sub string        `json:"sub"`
		Exp float64       `json:"exp"`
	}
	switch {
	case len(parts) != 3 || decodePart(parts[1], &claims) != nil:
		return "", "The subject token is not a JWT."
	case !slices.ContainsFunc(claims.Aud, func(a string) bool { return slices.Contains(f.tokenAudiences, a) }):
		return "", fmt.Sprintf("The audience in ID Token %q does not match the expected audience %q.", []string(claims.Aud), f.tokenAudiences[0])
	case claims.Sub == "":
		return "", "The ID Token has no subject."
	case time.Unix(int64(claims.Exp), 0).Before(time.Now()):
		return "", "ID Token expired."
	}
	if f.verify == nil {
		return "", "Invalid ID Token signature."
	}
	if got, ok := f.verify(token); !ok || got != claims.Sub {
		return "", "Invalid ID Token signature."
	}
	return claims.Sub, ""
}

// generateAccessToken answers POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken
// of IAM Credentials: an access token of the service account, for the bearer of an access
// token of a principal allowed to impersonate it.
func (s *Server) generateAccessToken(w http.ResponseWriter, r *http.Request) {
	email, ok := strings.CutSuffix(r.PathValue("call"), ":generateAccessToken")
	if !ok || email == "" {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "unknown method")
		return
	}
	if r.PathValue("project") != "-" {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The project of the resource name must be the - wildcard.")
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	principal, known := s.Principal(bearer)
	if !known {
		s.Refused()
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	var body struct {
		Scope    []string `json:"scope"`
		Lifetime string   `json:"lifetime"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || len(body.Scope) == 0 {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Scope required.")
		return
	}
	life := time.Hour
	if body.Lifetime != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(body.Lifetime, "s"))
		if err != nil || !strings.HasSuffix(body.Lifetime, "s") || n < 1 || n > 43200 {
			writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid lifetime.")
			return
		}
		life = time.Duration(n) * time.Second
	}
	s.mu.Lock()
	granted := s.fed.grants[email][principal]
	s.mu.Unlock()
	if !granted {
		s.Refused()
		writeStatus(w, http.StatusForbidden, "PERMISSION_DENIED",
			"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).")
		return
	}
	token := s.issue(email)
	s.mu.Lock()
	s.fed.impersonations++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": token, "expireTime": time.Now().Add(life).UTC().Format(time.RFC3339)})
}
