package azureapi

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// ACRUser is the basic-auth username that goes with an ACR refresh token, as Microsoft
// documents it.
const ACRUser = "00000000-0000-0000-0000-000000000000"

// acrScope is the scope of the Entra ID access tokens that the registry exchanges (Azure's
// public cloud).
const acrScope = "https://management.azure.com/.default"

// ACR is the authentication of one Azure Container Registry in front of a registry's
// handler: the AAD exchange of an Entra ID access token of the server for a refresh token,
// then basic auth with that refresh token. It is not ACR: its refresh tokens are random
// strings, and it challenges with Basic rather than a Bearer token realm so that a docker
// client sends the refresh token straight away. It is safe for concurrent use.
type ACR struct {
	server    *Server
	service   string
	exchanges atomic.Int64

	mu      sync.Mutex
	refresh map[string]bool
	client  string // the one principal whose tokens are exchanged, or "" for any
}

// ACR returns the authentication of the registry whose host is service (as
// "ferry.azurecr.io"), which accepts the access tokens this server issues.
func (s *Server) ACR(service string) *ACR {
	return &ACR{server: s, service: service, refresh: map[string]bool{}}
}

// RequireClient makes the exchange take only the access tokens of the principal of clientID,
// as a registry on which only that identity has a role; "" takes every principal's again.
func (a *ACR) RequireClient(clientID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.client = clientID
}

// Exchanges is the number of requests to POST /oauth2/exchange, answered or refused.
func (a *ACR) Exchanges() int64 { return a.exchanges.Load() }

// Wrap serves POST /oauth2/exchange (form grant_type=access_token, service=<registry
// host>, optional tenant, access_token=<Entra ID token for
// https://management.azure.com/.default>; answer {"refresh_token": ...}) and hands every
// other request to next only with basic auth of ACRUser and a refresh token it issued; it
// answers others 401 with a Basic challenge.
func (a *ACR) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/exchange" {
			a.exchanges.Add(1)
			a.exchange(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != ACRUser || !a.issued(pass) {
			if ok {
				a.server.Refused()
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="`+a.service+`"`)
			writeACRError(w, http.StatusUnauthorized, "UNAUTHORIZED",
				"authentication required, visit https://aka.ms/acr/authorization for more information.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// exchange answers the AAD exchange of an access token for a refresh token.
func (a *ACR) exchange(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeACRError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeACRError(w, http.StatusBadRequest, "BAD_REQUEST", "malformed form")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "access_token":
		writeACRError(w, http.StatusBadRequest, "BAD_REQUEST", "grant_type must be access_token")
		return
	case f.Get("service") != a.service:
		writeACRError(w, http.StatusBadRequest, "BAD_REQUEST", "service must be the registry's login server "+a.service)
		return
	}
	scope, ok := a.server.TokenScope(f.Get("access_token"))
	client, _ := a.server.TokenClient(f.Get("access_token"))
	a.mu.Lock()
	want := a.client
	a.mu.Unlock()
	tenant := f.Get("tenant")
	if !ok || scope != acrScope || (tenant != "" && tenant != a.server.principal.TenantID) || (want != "" && client != want) {
		a.server.Refused()
		writeACRError(w, http.StatusUnauthorized, "UNAUTHORIZED", "The access token is invalid or was issued for another audience or tenant.")
		return
	}
	token := randomHex(32)
	a.mu.Lock()
	a.refresh[token] = true
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"refresh_token": token})
}

// issued reports whether the registry issued the refresh token.
func (a *ACR) issued(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refresh[token]
}

// writeACRError writes an error of the registry, as the Docker registry API shapes it.
func writeACRError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]any{"errors": []map[string]string{{"code": typ, "message": msg}}})
}
