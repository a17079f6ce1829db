// Package providertest runs, on 127.0.0.1, the part of the GitHub, GitLab and Gitea REST APIs
// that bootstrap calls: get and create a repository, list, add and delete its deploy keys.
// Each request is checked as the service would check it (path, method, token header, JSON
// body fields, status codes), written from the services' public API documentation: GitHub's
// REST API (/repos/{owner}/{repo}, /user/repos, /orgs/{org}/repos, /repos/{owner}/{repo}/keys),
// GitLab's v4 API (/projects/:id with the URL-encoded path, /groups/:id, /projects,
// /projects/:id/deploy_keys) and Gitea's v1 API (/version, /repos/{owner}/{repo},
// /user/repos, /orgs/{org}/repos, /repos/{owner}/{repo}/keys).
package providertest

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-gitops/ferry/cli/internal/provider"
)

// Key is a deploy key of a repository.
type Key struct {
	// ID identifies the key.
	ID int64
	// Title, Key and ReadOnly are as the client sent them.
	Title, Key string
	ReadOnly   bool
}

// Repo is a repository the server knows.
type Repo struct {
	// Owner and Name locate it.
	Owner, Name string
	// Private is its visibility.
	Private bool
	// Keys are its deploy keys.
	Keys []Key
}

// Server is one provider's API.
type Server struct {
	// Kind is the provider the server imitates.
	Kind provider.Kind
	// Host is the host:port of the server, for --hostname.
	Host string
	// CA is the PEM certificate of the server, for --ca-file.
	CA []byte
	// User is the authenticated user; Orgs are the organizations (groups) that exist.
	User string
	Orgs []string

	token  string
	urls   func(owner, name string) (clone, ssh string)
	srv    *httptest.Server
	mu     sync.Mutex
	repos  map[string]*Repo
	nextID int64
	log    []string
	errs   []string
}

// Start serves kind's API over HTTPS until tb ends; requests must carry token, and
// repositories are reached at the URLs urls returns.
func Start(tb testing.TB, kind provider.Kind, token string, urls func(owner, name string) (clone, ssh string)) *Server {
	tb.Helper()
	s := &Server{Kind: kind, User: "ferry-user", Orgs: []string{"ferry-org"}, token: token, urls: urls,
		repos: map[string]*Repo{}, nextID: 1}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.Host = strings.TrimPrefix(s.srv.URL, "https://")
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	return s
}

// AddRepo makes owner/name exist.
func (s *Server) AddRepo(owner, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[owner+"/"+name] = &Repo{Owner: owner, Name: name, Private: true}
}

// Repo returns a copy of owner/name, or nil.
func (s *Server) Repo(owner, name string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[owner+"/"+name]
	if !ok {
		return nil
	}
	cp := *r
	cp.Keys = append([]Key(nil), r.Keys...)
	return &cp
}

// Requests returns "METHOD path" of every request served.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Errors returns what the server found wrong in the requests; a test expects none.
func (s *Server) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, r.Method+" "+r.URL.EscapedPath())
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.fail(w, "%s %s: Content-Type %q, want application/json", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		return
	}
	switch s.Kind {
	case provider.GitHub:
		s.github(w, r)
	case provider.GitLab:
		s.gitlab(w, r)
	default:
		s.gitea(w, r)
	}
}

// authorized checks the token the way the service reads it.
func (s *Server) authorized(r *http.Request) bool {
	switch s.Kind {
	case provider.GitHub:
		return r.Header.Get("Authorization") == "Bearer "+s.token
	case provider.GitLab:
		return r.Header.Get("PRIVATE-TOKEN") == s.token
	}
	return r.Header.Get("Authorization") == "token "+s.token
}

// fail records a request the real service would refuse, and answers 422.
func (s *Server) fail(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.errs = append(s.errs, msg)
	writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": msg})
}

// decode reads the JSON body into v, recording a malformed body.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.fail(w, "%s %s: invalid JSON body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

// create adds owner/name, or reports that it exists.
func (s *Server) create(owner, name string, private bool) (*Repo, bool) {
	key := owner + "/" + name
	if _, ok := s.repos[key]; ok {
		return nil, false
	}
	r := &Repo{Owner: owner, Name: name, Private: private}
	s.repos[key] = r
	return r, true
}

// isOrg reports whether name is a known organization.
func (s *Server) isOrg(name string) bool {
	for _, o := range s.Orgs {
		if o == name {
			return true
		}
	}
	return false
}

// addKey adds a deploy key to r, refusing a repeated title or key as the services do.
func (s *Server) addKey(r *Repo, k Key) (Key, bool) {
	for _, existing := range r.Keys {
		if existing.Title == k.Title || existing.Key == k.Key {
			return Key{}, false
		}
	}
	k.ID = s.nextID
	s.nextID++
	r.Keys = append(r.Keys, k)
	return k, true
}

// deleteKey removes the key id of r.
func deleteKey(r *Repo, id int64) bool {
	for i, k := range r.Keys {
		if k.ID == id {
			r.Keys = append(r.Keys[:i], r.Keys[i+1:]...)
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
