package gitserver

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// HTTPOptions configure an HTTP(S) server. With no credentials set, reads are anonymous.
type HTTPOptions struct {
	// Username and Password, when set, are required as basic auth.
	Username, Password string
	// BearerToken, when set, is accepted as an Authorization bearer token.
	BearerToken string
	// CheckBearer, when set, decides on Authorization bearer tokens (for tokens an identity
	// provider issues).
	CheckBearer func(token string) bool
	// Check, when set, decides on the basic auth user name and password instead of Password
	// (for credentials that change, such as tokens an API issues).
	Check func(user, password string) bool
	// ClientCerts requires a client certificate signed by the server's CA (mutual TLS).
	ClientCerts bool
	// Plain serves HTTP without TLS.
	Plain bool
}

// HTTPServer serves the repositories of a Repos with git http-backend.
type HTTPServer struct {
	// URL is the server's base URL; a repository is at URL/<name>.git.
	URL string
	// CA is the PEM certificate of the authority that signed the server's certificate (and
	// the client certificate); nil for a plain server.
	CA []byte
	// ClientCert and ClientKey are a PEM client certificate and key signed by CA, for mutual
	// TLS.
	ClientCert, ClientKey []byte

	srv *httptest.Server
}

// ServeHTTP starts a server on 127.0.0.1 for the repositories, stopped when tb ends.
func (r *Repos) ServeHTTP(tb testing.TB, opts HTTPOptions) *HTTPServer {
	tb.Helper()
	backend, err := Backend(r.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	h := r.counting(authorize(opts, backend))
	s := &HTTPServer{}
	s.srv = httptest.NewUnstartedServer(h)
	if !opts.Plain {
		s.srv.TLS = s.newTLSConfig(tb, opts.ClientCerts)
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Backend returns a handler serving every bare repository under dir (as /<name>.git) with
// git http-backend, anonymously. A client may push to a repository whose configuration sets
// http.receivepack to true. It needs no testing.TB, for servers that outlive a test (make run).
func Backend(dir string) (http.Handler, error) {
	git, err := gitBinary()
	if err != nil {
		return nil, err
	}
	return &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Root: "/",
		Env:  []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir},
	}, nil
}

// newTLSConfig makes a CA and a server certificate for 127.0.0.1 (and, with clientCerts, a
// client certificate that the server requires), keeps their PEM on s and returns the
// server's TLS config.
func (s *HTTPServer) newTLSConfig(tb testing.TB, clientCerts bool) *tls.Config {
	tb.Helper()
	ca, err := pki.NewCA()
	if err != nil {
		tb.Fatal(err)
	}
	server, err := ca.IssueServer()
	if err != nil {
		tb.Fatal(err)
	}
	s.CA = ca.CertPEM
	if clientCerts {
		client, err := ca.IssueClient("ferry test client")
		if err != nil {
			tb.Fatal(err)
		}
		s.ClientCert, s.ClientKey = client.CertPEM, client.KeyPEM
	}
	return ca.ServerConfig(server, clientCerts)
}

// RepoURL returns the URL of the repository name.
func (s *HTTPServer) RepoURL(name string) string { return s.URL + "/" + name + ".git" }

// Close stops the server, so that clients find the host unreachable.
func (s *HTTPServer) Close() { s.srv.Close() }

// counting counts the object requests per repository: POST git-upload-pack requests, less
// the protocol v2 ones that only list references.
func (r *Repos) counting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/git-upload-pack") && asksForObjects(req) {
			r.count(r.fetches, repoName(req.URL.Path))
		}
		next.ServeHTTP(w, req)
	})
}

// asksForObjects reports whether an upload-pack request fetches objects: every protocol v0
// request does; a v2 request does when its command is fetch. The body is kept for next.
func asksForObjects(req *http.Request) bool {
	if !strings.Contains(req.Header.Get("Git-Protocol"), "version=2") {
		return true
	}
	body, err := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return true
	}
	var content io.Reader = bytes.NewReader(body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(content)
		if err != nil {
			return true
		}
		content = gz
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(content, head)
	return bytes.Contains(head[:n], []byte("command=fetch"))
}

// authorize requires the credentials of opts, when there are any.
func authorize(opts HTTPOptions, next http.Handler) http.Handler {
	if opts.Username == "" && opts.Password == "" && opts.BearerToken == "" && opts.Check == nil && opts.CheckBearer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if opts.BearerToken != "" && req.Header.Get("Authorization") == "Bearer "+opts.BearerToken {
			next.ServeHTTP(w, req)
			return
		}
		if token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && opts.CheckBearer != nil && opts.CheckBearer(token) {
			next.ServeHTTP(w, req)
			return
		}
		u, p, ok := req.BasicAuth()
		if ok && opts.Check != nil && opts.Check(u, p) {
			next.ServeHTTP(w, req)
			return
		}
		if ok && opts.Check == nil && opts.Username != "" && u == opts.Username && p == opts.Password {
			next.ServeHTTP(w, req)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}
