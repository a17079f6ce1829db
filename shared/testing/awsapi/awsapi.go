// Package awsapi is a local HTTP(S) server on 127.0.0.1 that speaks, as AWS documents them,
// the parts of three AWS APIs that Ferry's clients use, all at one address:
//
//   - AWS Key Management Service, as SOPS uses it: the JSON 1.1 protocol (POST /,
//     Content-Type application/x-amz-json-1.1, X-Amz-Target TrentService.Encrypt or
//     TrentService.Decrypt), signed with Signature Version 4 for the service "kms";
//   - AWS Security Token Service, in its query protocol (a form POST with Action and
//     Version=2011-06-15): AssumeRole, signed for "sts" by the server's access key, and
//     AssumeRoleWithWebIdentity, not signed, for the web identity tokens a test allows (one
//     string per role, or whatever a test's function validates); and
//     GetCallerIdentity as a presigned GET (query-string signature), as EKS tokens carry it,
//     answering the ARN of the assumed-role session that signed it; and MinIO's
//     AssumeRoleWithLDAPIdentity, not signed, for the LDAP users a test adds;
//   - Amazon Elastic Container Registry's GetAuthorizationToken (JSON 1.1, X-Amz-Target
//     AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken), signed for "ecr".
//
// An S3Front in front of a real S3 server accepts only the temporary credentials this STS
// handed out, checking their Signature Version 4 for "s3", and forwards the requests signed
// with the server's own keys. A CodeCommitFront in front of a real Git HTTP server does the
// same for AWS CodeCommit's Git endpoint: it checks the Git HTTP basic credentials that the
// AWS CLI's credential helper makes (the access key ID and session token, and a Signature
// Version 4 for "codecommit" of the repository's path and host) against the credentials it
// knows, and forwards the Git requests; ServeCodeCommit reaches it by CodeCommit's
// hostnames through a tunnelling proxy.
//
// Every signed request is checked as AWS checks it (credential scope, canonical request,
// signature, clock skew, session token) and refused with AWS's error shapes. It is not AWS:
// KMS keys are AES-256-GCM keys created on first use and the ciphertext blob is its own
// format (the key ARN, a nonce and the sealed plaintext); web identity tokens are whatever
// strings a test allows or its function validates (asking the token's issuer, say a
// Kubernetes API server's TokenReview), never JWTs the server verifies itself; temporary
// credentials and the registry password are random strings; nothing else of these APIs is
// served.
package awsapi

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// Server is a KMS, STS and ECR endpoint on 127.0.0.1; it is safe for concurrent use.
type Server struct {
	keyserver.Counts
	creds       Credentials
	srv         *httptest.Server
	keys        keyserver.Keyring // by ARN
	ecrPassword string
	ecrCalls    atomic.Int64

	mu          sync.Mutex
	keyRoles    map[string]string  // ARN -> the role whose credentials alone may use the key
	sessions    map[string]session // temporary access key ID -> session of an assumed role
	webIdentity map[string]string  // role ARN -> the one web identity token that may assume it
	ecrRole     string             // the role whose credentials alone may call ECR, or ""
	ecrAccount  string
	// webIdentityFuncs validate, by role ARN, the tokens that may assume the role.
	webIdentityFuncs map[string]func(token string) (subject string, ok bool)
	// ldapUsers are the passwords of the LDAP users of AssumeRoleWithLDAPIdentity, by name.
	ldapUsers map[string]string
}

// Credentials are the one access key the server accepts.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// New starts a server accepting requests signed with creds. The caller must call Close.
func New(creds Credentials) (*Server, error) {
	return start(creds, nil)
}

// NewTLS starts a server like New that serves HTTPS with cert.
func NewTLS(creds Credentials, cert tls.Certificate) (*Server, error) {
	return start(creds, &cert)
}

// start starts a server, over TLS with cert when it is not nil.
func start(creds Credentials, cert *tls.Certificate) (*Server, error) {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, errors.New("an access key is required")
	}
	s := &Server{
		creds: creds, ecrPassword: randomHex(32), ecrAccount: defaultECRAccount,
		keyRoles: map[string]string{}, sessions: map[string]session{}, webIdentity: map[string]string{},
		webIdentityFuncs: map[string]func(string) (string, bool){}, ldapUsers: map[string]string{},
	}
	var err error
	s.srv, err = keyserver.Start(http.HandlerFunc(s.serve), cert)
	return s, err
}

// URL is the server's base URL, the endpoint of KMS, STS and ECR alike.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// credentials returns the secret of an access key ID: the server's or a session's.
func (s *Server) credentials(accessKeyID string) (Credentials, bool) {
	if accessKeyID == s.creds.AccessKeyID {
		return s.creds, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[accessKeyID]
	return sess.creds, ok
}

// roleOf is the role of the credentials, "" for the server's access key.
func (s *Server) roleOf(c Credentials) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[c.AccessKeyID].role
}

// serve dispatches a request: STS's presigned GetCallerIdentity GETs and form POSTs, then the JSON 1.1 operations by target.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Get("Action") == "GetCallerIdentity" {
		s.getCallerIdentity(w, r)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "failed to read the request")
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.sts(w, r, body)
		return
	}
	service, handle := "kms", s.kms
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), ecrTargetPrefix) {
		service, handle = "ecr", s.ecr
		s.ecrCalls.Add(1)
	}
	creds, code, typ, msg := s.authenticate(r, body, service)
	if code != 0 {
		writeError(w, code, typ, msg)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "unexpected content type "+ct)
		return
	}
	handle(w, r, creds, body)
}

// writeJSON writes a JSON 1.1 answer.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an error of the JSON 1.1 protocol.
func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
