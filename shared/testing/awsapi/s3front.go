package awsapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// S3Backend is the real S3 server behind an S3Front, and the keys it accepts.
type S3Backend struct {
	// URL is the server's http(s)://host:port.
	URL string
	// AccessKey, SecretKey and Region are the server's credentials and region.
	AccessKey, SecretKey, Region string
}

// S3Front is a plain-HTTP S3 endpoint on 127.0.0.1 in front of a real S3 server: it accepts
// only requests signed (Signature Version 4, service s3, with their session token) by the
// temporary credentials its Server's STS handed out, of the one role RequireRole names when
// it names one, and forwards them signed again with the backend's own keys. Everything else
// is refused with S3's AccessDenied. It is safe for concurrent use.
type S3Front struct {
	s       *Server
	backend *url.URL
	keys    S3Backend
	proxy   *httputil.ReverseProxy
	srv     interface{ Close() }
	url     string

	mu       sync.Mutex
	role     string
	accepted map[string]int // role → requests forwarded
}

// S3Front starts an S3Front for backend. The caller must call Close.
func (s *Server) S3Front(backend S3Backend) (*S3Front, error) {
	u, err := url.Parse(backend.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("failed to parse the S3 backend URL %q", backend.URL)
	}
	f := &S3Front{s: s, backend: u, keys: backend, accepted: map[string]int{}}
	f.proxy = &httputil.ReverseProxy{Rewrite: f.rewrite, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
		w.WriteHeader(http.StatusBadGateway)
	}}
	srv, err := keyserver.Start(http.HandlerFunc(f.serve), nil)
	if err != nil {
		return nil, err
	}
	f.srv, f.url = srv, srv.URL
	return f, nil
}

// Endpoint is the front's host:port, the endpoint of an S3 client (without TLS).
func (f *S3Front) Endpoint() string { return strings.TrimPrefix(f.url, "http://") }

// Close stops the front.
func (f *S3Front) Close() { f.srv.Close() }

// RequireRole accepts only the temporary credentials of role (any role when empty): the
// ARN of a role assumed with AssumeRoleWithWebIdentity or AssumeRole, or LDAPRole of a user.
func (f *S3Front) RequireRole(role string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.role = role
}

// Accepted returns how many requests signed by credentials of role the front forwarded.
func (f *S3Front) Accepted(role string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted[role]
}

// serve checks a request's signature and forwards it.
func (f *S3Front) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "IncompleteBody", "failed to read the request")
		return
	}
	creds, code, _, msg := f.s.authenticate(r, body, "s3")
	if code != 0 {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", msg)
		return
	}
	role := f.s.roleOf(creds)
	f.mu.Lock()
	want := f.role
	f.mu.Unlock()
	if role == "" || (want != "" && role != want) {
		f.s.Refused()
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	f.mu.Lock()
	f.accepted[role]++
	f.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.proxy.ServeHTTP(w, r)
}

// rewrite sends a request to the backend, signed with its keys instead of the client's.
func (f *S3Front) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(f.backend)
	pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
	pr.Out.Host = f.backend.Host
	pr.Out.Header.Del("Authorization")
	pr.Out.Header.Del("X-Amz-Security-Token")
	signed := signer.SignV4(*pr.Out, f.keys.AccessKey, f.keys.SecretKey, "", f.keys.Region)
	pr.Out.Header = signed.Header
}

// s3Error is an error answer of S3.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// writeS3Error writes an S3 error.
func writeS3Error(w http.ResponseWriter, code int, errCode, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	_ = xml.NewEncoder(w).Encode(s3Error{Code: errCode, Message: msg, RequestID: randomHex(8)})
}
