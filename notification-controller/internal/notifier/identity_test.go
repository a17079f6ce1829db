package notifier

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/notification-controller/internal/pubsubtest"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// fakeIdentity hands out fixed tokens, or fails; its Azure tokens are for azureScope
// (Azure DevOps' when empty).
type fakeIdentity struct {
	google, azure string
	azureScope    string
	err           error
}

func (f fakeIdentity) GoogleToken(context.Context) (string, time.Time, error) {
	return f.google, time.Now().Add(time.Hour), f.err
}

func (f fakeIdentity) AzureToken(_ context.Context, scope string) (string, error) {
	want := f.azureScope
	if want == "" {
		want = azureDevOpsScope
	}
	if scope != want {
		return "", errors.New("scope " + scope + " is not " + want)
	}
	return f.azure, f.err
}

// TestGooglePubSubIdentity publishes with the access token of spec.serviceAccountName's
// identity, which a TLS Pub/Sub server checks as the bearer token of the call; an identity
// that cannot give a token fails the Post with its reason and publishes nothing (the
// controller's credentials are never tried), and a Secret's key next to it is refused.
func TestGooglePubSubIdentity(t *testing.T) {
	srv := pubsubtest.Start(t, testProject, testTopic, func(tok string) bool { return tok == "tenant-token" })
	t.Setenv(TestPubSubEndpointEnv, srv.Addr)
	cfg := Config{Type: "googlepubsub", Address: testProject, Channel: testTopic, Identity: fakeIdentity{google: "tenant-token"}}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), sampleEvent("info")); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if got := len(srv.Fake.Messages()); got != 1 || srv.Refused() != 0 {
		t.Fatalf("%d messages published, %d calls refused; want 1 and 0", got, srv.Refused())
	}

	t.Run("other token", func(t *testing.T) {
		n, err := New(Config{Type: "googlepubsub", Address: testProject, Channel: testTopic, Identity: fakeIdentity{google: "controller-token"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Post(t.Context(), sampleEvent("info")); err == nil || Retryable(err) {
			t.Fatalf("Post = %v, want a permanent failure", err)
		}
	})
	t.Run("identity fails", func(t *testing.T) {
		before := srv.Refused()
		why := errors.New("ServiceAccount 'apps/plain' has no annotation gcp.auth.fluxcd.io/workload-identity-provider")
		n, err := New(Config{Type: "googlepubsub", Address: testProject, Channel: testTopic, Timeout: 5 * time.Second, Identity: fakeIdentity{err: why}})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Post(t.Context(), sampleEvent("info")); err == nil || !strings.Contains(err.Error(), why.Error()) {
			t.Fatalf("Post = %v, want the identity's failure", err)
		}
		if len(srv.Fake.Messages()) != 1 || srv.Refused() != before {
			t.Fatalf("a call went out without the identity's token")
		}
	})
	t.Run("secret key too", func(t *testing.T) {
		c := cfg
		c.Token = testServiceAccountKey(t)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), "spec.serviceAccountName") {
			t.Fatalf("New = %v, want a refusal naming spec.serviceAccountName", err)
		}
	})
}

// TestAzureDevOpsIdentity writes the commit status with an Entra ID token of
// spec.serviceAccountName's identity (scope Azure DevOps) as bearer token, without a
// personal access token; a Secret's token next to it is refused.
func TestAzureDevOpsIdentity(t *testing.T) {
	s := newService(t, func(r *http.Request, body []byte) (int, string, error) {
		_, _, basic := r.BasicAuth()
		return http.StatusCreated, `{"id":1}`, expect(r.Header.Get("Authorization") == "Bearer entra-token", "no bearer token of the identity",
			!basic, "basic authentication sent")
	})
	cfg := Config{Type: "azuredevops", Address: s.URL + "/org/project/_git/app", ProviderUID: "6d2f7f0e-a", Identity: fakeIdentity{azure: "entra-token"}}
	post(t, s, cfg, sampleEvent(events.SeverityError), 1)
	cfg.Token = "pat"
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "spec.serviceAccountName") {
		t.Fatalf("New = %v, want a refusal naming spec.serviceAccountName", err)
	}
	if _, err := New(Config{Type: "slack", Address: s.URL, Identity: fakeIdentity{}}); err == nil {
		t.Fatal("a slack Provider took an identity")
	}
}
