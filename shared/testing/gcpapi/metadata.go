package gcpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// metadataPrefix starts the path of every metadata value.
const metadataPrefix = "/computeMetadata/v1/"

// Metadata is a Compute Engine metadata server on http://127.0.0.1:<port> for one service
// account, as GKE and Compute Engine serve it to workloads; it is safe for concurrent use.
// It serves one access token for the server's lifetime, whatever scopes are asked for.
type Metadata struct {
	srv        *httptest.Server
	email      string
	project    string
	token      string
	tokenCalls atomic.Int64

	mu       sync.Mutex
	location string // the GKE cluster's, "" off GKE
	cluster  string
}

// NewMetadata starts a metadata server for the service account email that is closed when
// the test ends. The project ID is the account's project
// (<name>@<project>.iam.gserviceaccount.com), or ferry-test for other addresses.
func NewMetadata(t testing.TB, email string) *Metadata {
	t.Helper()
	m := &Metadata{email: email, project: "ferry-test", token: "ya29.metadata-" + randomHex(24)}
	if _, domain, ok := strings.Cut(email, "@"); ok && strings.HasSuffix(domain, ".iam.gserviceaccount.com") {
		m.project = strings.TrimSuffix(domain, ".iam.gserviceaccount.com")
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

// Host is the server's address, 127.0.0.1:<port>, the value of GCE_METADATA_HOST.
func (m *Metadata) Host() string { return strings.TrimPrefix(m.srv.URL, "http://") }

// Project is the project ID the server serves.
func (m *Metadata) Project() string { return m.project }

// SetCluster makes the server a GKE node's, of the cluster name in location (a region or a
// zone): it then serves instance/attributes/cluster-name and cluster-location, as GKE's
// metadata server does; without it, they are not found, as on Compute Engine.
func (m *Metadata) SetCluster(location, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.location, m.cluster = location, name
}

// attribute returns a GKE instance attribute, or "" when the server is not a GKE node's.
func (m *Metadata) attribute(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch name {
	case "cluster-location":
		return m.location
	case "cluster-name":
		return m.cluster
	}
	return ""
}

// Token is the access token the server hands out.
func (m *Metadata) Token() string { return m.token }

// Valid reports whether token is an access token of the server.
func (m *Metadata) Valid(token string) bool { return token != "" && token == m.token }

// TokenCalls is the number of access token requests the server answered.
func (m *Metadata) TokenCalls() int64 { return m.tokenCalls.Load() }

// serve answers as the metadata server documents: GET only; every value needs the
// Metadata-Flavor: Google header and is refused to a request with X-Forwarded-For (so that
// a proxy cannot relay it); every answer carries Metadata-Flavor: Google. The root answers
// without the header, as the client libraries' "on GCE" probe asks it.
func (m *Metadata) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Metadata-Flavor", "Google")
	w.Header().Set("Server", "Metadata Server for VM")
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	case r.Header.Get("X-Forwarded-For") != "":
		http.Error(w, "Request had a X-Forwarded-For header and was rejected.", http.StatusForbidden)
		return
	case r.URL.Path == "/":
		writeText(w, "computeMetadata/\n")
		return
	case r.Header.Get("Metadata-Flavor") != "Google":
		http.Error(w, "Missing required header: Metadata-Flavor: Google", http.StatusForbidden)
		return
	}
	account := metadataPrefix + "instance/service-accounts/"
	if name, ok := strings.CutPrefix(r.URL.Path, metadataPrefix+"instance/attributes/"); ok {
		if v := m.attribute(name); v != "" {
			writeText(w, v)
			return
		}
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	switch p := r.URL.Path; p {
	case "/computeMetadata/", metadataPrefix:
		writeText(w, "instance/\nproject/\n")
	case metadataPrefix + "project/project-id":
		writeText(w, m.project)
	case account + "default/email", account + m.email + "/email":
		writeText(w, m.email)
	case account + "default/token", account + m.email + "/token":
		m.tokenCalls.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": m.token, "expires_in": 3599, "token_type": "Bearer"})
	default:
		http.Error(w, "Not Found", http.StatusNotFound)
	}
}

// writeText writes a plain-text metadata value.
func writeText(w http.ResponseWriter, v string) {
	w.Header().Set("Content-Type", "application/text")
	_, _ = io.WriteString(w, v)
}
