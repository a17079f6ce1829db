package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// codeCommitHost matches the Git hosts of AWS CodeCommit (plain or FIPS); the group is the
// region.
var codeCommitHost = regexp.MustCompile(`^git-codecommit(?:-fips)?\.([a-z0-9][a-z0-9-]*)\.amazonaws\.com(?:\.cn)?$`)

// codeCommitRepoPath matches the path of a request to a repository: /v1/repos/<name> (the
// path that is signed) and the rest, which Git's smart HTTP protocol adds.
var codeCommitRepoPath = regexp.MustCompile(`^(/v1/repos/([A-Za-z0-9._-]+))(/.*)?$`)

// CodeCommitFront is an AWS CodeCommit Git endpoint: an HTTPS server on 127.0.0.1 that
// answers for CodeCommit's hostnames (git-codecommit[-fips].<region>.amazonaws.com, reached
// through a tunnelling proxy) and forwards /v1/repos/<name>/… to a real Git HTTP server as
// /<name>.git/…, once the Git HTTP basic credentials check out as CodeCommit checks those of
// its credential helper: the username is an access key ID its Server knows, the server's own
// or temporary credentials its STS handed out (then followed by "%" and their session token),
// and the password is "<yyyymmddThhmmss>Z<signature>", the Signature Version 4 for the
// service "codecommit" in the host's region of the canonical request
// "GIT\n/v1/repos/<name>\n\nhost:<host>\n\nhost\n", within 15 minutes of its time. With
// RequireRole, only the credentials of that role pass. Anything else is refused with 403
// (401 without credentials). It is safe for concurrent use.
type CodeCommitFront struct {
	s       *Server
	backend *url.URL
	proxy   *httputil.ReverseProxy
	srv     interface{ Close() }
	addr    string

	mu       sync.Mutex
	role     string
	accepted map[string]int // role ("" for the server's key) → requests forwarded
}

// CodeCommitFront starts a CodeCommitFront serving HTTPS with cert (issued for the CodeCommit
// hostnames the test uses) in front of backend, the base URL of a Git HTTP server that serves
// the repository <name> at <backend>/<name>.git. The caller must call Close.
func (s *Server) CodeCommitFront(backend string, cert tls.Certificate) (*CodeCommitFront, error) {
	u, err := url.Parse(backend)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("failed to parse the Git backend URL %q", backend)
	}
	f := &CodeCommitFront{s: s, backend: u, accepted: map[string]int{}}
	f.proxy = &httputil.ReverseProxy{Rewrite: f.rewrite, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
		w.WriteHeader(http.StatusBadGateway)
	}}
	srv, err := keyserver.Start(http.HandlerFunc(f.serve), &cert)
	if err != nil {
		return nil, err
	}
	f.srv, f.addr = srv, strings.TrimPrefix(srv.URL, "https://")
	return f, nil
}

// Addr is the front's 127.0.0.1:<port>, where a tunnelling proxy routes CodeCommit's
// hostnames.
func (f *CodeCommitFront) Addr() string { return f.addr }

// Close stops the front.
func (f *CodeCommitFront) Close() { f.srv.Close() }

// RequireRole accepts only the temporary credentials of role (any known credentials when
// empty): the ARN of a role assumed with AssumeRoleWithWebIdentity or AssumeRole.
func (f *CodeCommitFront) RequireRole(role string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.role = role
}

// Accepted returns how many requests signed by credentials of role ("" for the server's own
// access key) the front forwarded.
func (f *CodeCommitFront) Accepted(role string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted[role]
}

// serve checks a request's credentials and forwards it.
func (f *CodeCommitFront) serve(w http.ResponseWriter, r *http.Request) {
	m := codeCommitRepoPath.FindStringSubmatch(r.URL.Path)
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	region := codeCommitHost.FindStringSubmatch(host)
	if m == nil || region == nil {
		http.Error(w, "repository not found", http.StatusNotFound)
		return
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+host+`"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	role, why := f.check(user, password, host, region[1], m[1])
	if why == "" {
		f.mu.Lock()
		if f.role != "" && role != f.role {
			why = "the credentials are not those of the required role"
		} else {
			f.accepted[role]++
		}
		f.mu.Unlock()
	}
	if why != "" {
		f.s.Refused()
		http.Error(w, "forbidden: "+why, http.StatusForbidden)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// check checks the username and password of a request to the repository path at host in
// region, and returns the role of the credentials, or why they are refused.
func (f *CodeCommitFront) check(user, password, host, region, path string) (role, why string) {
	keyID, token, _ := strings.Cut(user, "%")
	creds, ok := f.s.credentials(keyID)
	if !ok || token != creds.SessionToken {
		return "", "unknown access key or session token"
	}
	stamp, signature, ok := strings.Cut(password, "Z")
	signed, err := time.Parse("20060102T150405", stamp)
	if !ok || err != nil {
		return "", "the password is not <time>Z<signature>"
	}
	if d := time.Since(signed); d > maxSkew || d < -maxSkew {
		return "", "the signature expired"
	}
	day := stamp[:8]
	canonical := "GIT\n" + path + "\n\nhost:" + host + "\n\nhost\n"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + day + "/" + region + "/codecommit/aws4_request\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + creds.SecretAccessKey)
	for _, part := range []string{day, region, "codecommit", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(signature)) {
		return "", "the signature does not match"
	}
	return f.s.roleOf(creds), ""
}

// rewrite sends a request for /v1/repos/<name>/… to the backend's /<name>.git/…, without the
// client's credentials.
func (f *CodeCommitFront) rewrite(pr *httputil.ProxyRequest) {
	m := codeCommitRepoPath.FindStringSubmatch(pr.In.URL.Path)
	pr.SetURL(f.backend)
	pr.Out.URL.Path = strings.TrimSuffix(f.backend.Path, "/") + "/" + m[2] + ".git" + m[3]
	pr.Out.URL.RawPath = ""
	pr.Out.Host = f.backend.Host
	pr.Out.Header.Del("Authorization")
}
