package registry

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestHostsAuthorizeAndWrap(t *testing.T) {
	const ecrHost = "012345678901.dkr.ecr.us-east-1.amazonaws.com"
	r := New(t, Options{
		Hosts:     []string{ecrHost},
		Authorize: func(user, password string) bool { return user == "AWS" && password == "ecr-password" },
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if req.Header.Get("X-Test-Gate") != "open" {
					http.Error(w, "gate closed", http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, req)
			})
		},
	})
	// The registry's own helpers pass both.
	if _, err := r.PushFiles("app", "v1", map[string]string{"a.yaml": "a: 1\n"}, "", "main@sha1:abc"); err != nil {
		t.Fatal(err)
	}

	// The certificate names the cloud hostname besides 127.0.0.1.
	for serverName, ok := range map[string]bool{ecrHost: true, "127.0.0.1": true, "other.dkr.ecr.us-east-1.amazonaws.com": false} {
		conn, err := tls.Dial("tcp", r.Host, &tls.Config{RootCAs: r.ca.Pool(), ServerName: serverName, MinVersion: tls.VersionTLS12})
		if err == nil {
			_ = conn.Close()
		}
		if (err == nil) != ok {
			t.Errorf("TLS with server name %s: %v", serverName, err)
		}
	}

	ref, err := name.ParseReference(r.Repo("app") + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	r.ResetCounts()
	for _, tc := range []struct {
		name     string
		gate     string
		password string
		want     bool
	}{
		{"gate closed", "", "ecr-password", false},
		{"wrong password", "open", "guess", false},
		{"gate open and the password", "open", "ecr-password", true},
	} {
		tr := gateTransport{base: r.Transport(), gate: tc.gate}
		_, err := remote.Head(ref, remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: "AWS", Password: tc.password}))
		if (err == nil) != tc.want {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if c := r.Counts(); c.Unauthorized == 0 || c.ManifestHeads != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// gateTransport sets the header that the test's Wrap asks for.
type gateTransport struct {
	base http.RoundTripper
	gate string
}

func (t gateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Test-Gate", t.gate)
	return t.base.RoundTrip(req)
}
