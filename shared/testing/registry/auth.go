package registry

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// ownerHeader carries the private credential of the registry's own helpers (Push, Tag,
// Options), which pass Wrap and the basic-auth check so that a test can fill a registry
// whatever a client under test must present.
const ownerHeader = "X-Ferry-Test-Registry-Owner"

// outer serves the requests of the registry's own helpers with inner, and all others with
// wrap around inner when wrap is set.
func (r *Registry) outer(inner http.Handler, wrap func(http.Handler) http.Handler) http.Handler {
	if wrap == nil {
		return inner
	}
	wrapped := wrap(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.isOwner(req) {
			inner.ServeHTTP(w, req)
			return
		}
		wrapped.ServeHTTP(w, req)
	})
}

// wrap counts requests and checks basic auth.
func (r *Registry) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.isOwner(req) && !r.authorized(req) {
			r.counts.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="ferry-test-registry"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		req.Header.Del(ownerHeader)
		if r.throttle.refuse(w, req) {
			return
		}
		r.count(req)
		if r.pageSize > 0 && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/tags/list") {
			r.servePage(w, req, next)
			return
		}
		next.ServeHTTP(w, req)
	})
}

// authorized reports whether a request passes Options.Authorize, or carries Username and
// Password when Username is set; without either any request does.
func (r *Registry) authorized(req *http.Request) bool {
	user, pass, ok := req.BasicAuth()
	switch {
	case r.authorize != nil:
		return r.authorize(user, pass)
	case r.Username == "":
		return true
	}
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(r.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(r.Password)) == 1
}

// isOwner reports whether a request carries the private credential of the registry's own
// helpers.
func (r *Registry) isOwner(req *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(req.Header.Get(ownerHeader)), []byte(r.owner)) == 1
}

// ownerTransport adds the owner's credential to every request.
type ownerTransport struct {
	base  http.RoundTripper
	owner string
}

// RoundTrip sends a copy of req with the owner's credential.
func (t ownerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(ownerHeader, t.owner)
	return t.base.RoundTrip(req)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
