package notifier

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	testProject = "ferry-test"
	testTopic   = "flux-events"
)

// startPubSub runs the Pub/Sub fake on 127.0.0.1 with the topic testTopic of testProject.
func startPubSub(t *testing.T, opts ...pstest.ServerReactorOption) *pstest.Server {
	t.Helper()
	srv := pstest.NewServerWithAddress("127.0.0.1:0", opts...)
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.GServer.CreateTopic(t.Context(), &pubsubpb.Topic{Name: "projects/" + testProject + "/topics/" + testTopic}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// newTestPubSub builds the notifier of c and points it at the fake at addr, without TLS
// and without credentials.
func newTestPubSub(t *testing.T, c Config, addr string) Notifier {
	t.Helper()
	n, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	n.(*googlePubSub).dial = []option.ClientOption{
		option.WithEndpoint(addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
	return n
}

// TestGooglePubSub publishes the JSON event on the topic with the Secret's headers as
// attributes; a topic the project lacks and a refused publication fail for good, an
// unreachable server in a way worth a retry.
func TestGooglePubSub(t *testing.T) {
	srv := startPubSub(t)
	headers := map[string]string{"cluster": "prod", "team": "platform"}
	n := newTestPubSub(t, Config{Type: "googlepubsub", Address: testProject, Channel: testTopic, Headers: headers}, srv.Addr)
	ev := sampleEvent("error")
	if err := n.Post(t.Context(), ev); err != nil {
		t.Fatalf("Post: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages published, want 1", len(msgs))
	}
	var got Event
	if err := json.Unmarshal(msgs[0].Data, &got); err != nil {
		t.Fatalf("message data is not the JSON event: %v", err)
	}
	if !reflect.DeepEqual(got, ev) {
		t.Fatalf("published event %+v, want %+v", got, ev)
	}
	if !reflect.DeepEqual(msgs[0].Attributes, headers) {
		t.Fatalf("attributes %v, want %v", msgs[0].Attributes, headers)
	}
	if msgs[0].Topic != "projects/"+testProject+"/topics/"+testTopic {
		t.Fatalf("published on %s", msgs[0].Topic)
	}

	t.Run("missing topic", func(t *testing.T) {
		n := newTestPubSub(t, Config{Type: "googlepubsub", Address: testProject, Channel: "no-such-topic"}, srv.Addr)
		err := n.Post(t.Context(), ev)
		if err == nil || Retryable(err) || !strings.Contains(err.Error(), "no-such-topic") {
			t.Fatalf("Post = %v, want a permanent failure naming the topic", err)
		}
	})
	t.Run("permission denied", func(t *testing.T) {
		denied := startPubSub(t, pstest.WithErrorInjection("Publish", codes.PermissionDenied, "caller lacks pubsub.topics.publish"))
		n := newTestPubSub(t, Config{Type: "googlepubsub", Address: testProject, Channel: testTopic}, denied.Addr)
		if err := n.Post(t.Context(), ev); err == nil || Retryable(err) {
			t.Fatalf("Post = %v, want a permanent failure", err)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		down := startPubSub(t, pstest.WithErrorInjection("Publish", codes.Unavailable, "try again"))
		n := newTestPubSub(t, Config{Type: "googlepubsub", Address: testProject, Channel: testTopic, Timeout: 2 * time.Second}, down.Addr)
		if err := n.Post(t.Context(), ev); err == nil || !Retryable(err) {
			t.Fatalf("Post = %v, want a failure worth a retry", err)
		}
	})
}

// TestGooglePubSubSettings: the project and topic IDs are checked, and the token must be a
// service account key; other credential types, which can make the client read files or run
// programs, are refused without quoting the Secret.
func TestGooglePubSubSettings(t *testing.T) {
	serviceAccount := testServiceAccountKey(t)
	const secret = "do-not-print-me"
	tests := []struct {
		name    string
		c       Config
		wantErr string
	}{
		{name: "service account key", c: Config{Address: testProject, Channel: testTopic, Token: serviceAccount}},
		{name: "application default credentials", c: Config{Address: testProject, Channel: testTopic}},
		{name: "domain-scoped project", c: Config{Address: "example.com:ferry-test", Channel: testTopic}},
		{name: "no project", c: Config{Channel: testTopic}, wantErr: "project ID"},
		{name: "project detection", c: Config{Address: "*detect-project-id*", Channel: testTopic}, wantErr: "project ID"},
		{name: "no topic", c: Config{Address: testProject}, wantErr: "topic"},
		{name: "full topic name", c: Config{Address: testProject, Channel: "projects/other/topics/" + testTopic}, wantErr: "topic"},
		{name: "reserved topic", c: Config{Address: testProject, Channel: "goog-events"}, wantErr: "topic"},
		{name: "not JSON", c: Config{Address: testProject, Channel: testTopic, Token: secret}, wantErr: "service_account"},
		{name: "external account", wantErr: "service_account", c: Config{Address: testProject, Channel: testTopic, Token: `{
			"type": "external_account", "audience": "//iam.googleapis.com/x", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
			"token_url": "https://sts.googleapis.com/v1/token",
			"credential_source": {"executable": {"command": "/bin/sh -c ` + secret + `", "timeout_millis": 5000}}}`}},
		{name: "external account file", wantErr: "service_account", c: Config{Address: testProject, Channel: testTopic, Token: `{
			"type": "external_account", "audience": "//iam.googleapis.com/x", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
			"token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": "/var/run/secrets/` + secret + `"}}`}},
		{name: "user credentials", wantErr: "service_account", c: Config{Address: testProject, Channel: testTopic,
			Token: `{"type": "authorized_user", "client_id": "c", "client_secret": "` + secret + `", "refresh_token": "r"}`}},
		{name: "impersonation", wantErr: "service_account", c: Config{Address: testProject, Channel: testTopic,
			Token: `{"type": "impersonated_service_account", "service_account_impersonation_url": "https://x", "source_credentials": {"type": "authorized_user"}}`}},
		{name: "service account without a key", wantErr: "not a valid", c: Config{Address: testProject, Channel: testTopic,
			Token: `{"type": "service_account", "client_email": "` + secret + `@ferry-test.iam.gserviceaccount.com"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Type = "googlepubsub"
			_, err := New(tt.c)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New = %v, want an error about %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), secret):
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

// testServiceAccountKey returns the JSON key of a service account with a fresh RSA key.
func testServiceAccountKey(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": testProject, "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "flux@" + testProject + ".iam.gserviceaccount.com", "client_id": "1",
		"token_uri": "https://oauth2.googleapis.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
