package receiver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// localIssuer signs ID tokens and publishes its keys as Google does.
type localIssuer struct {
	key    *rsa.PrivateKey
	server *httptest.Server
}

func newLocalIssuer() (*localIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	is := &localIssuer{key: key}
	is.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	}))
	return is, nil
}

// idToken signs a Pub/Sub push ID token for audience and email.
func (is *localIssuer) idToken(t *testing.T, audience, email string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "https://accounts.google.com", Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).
		Claims(map[string]any{"email": email, "email_verified": true}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func hexMAC(newHash func() hash.Hash, key, body string) string {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// request is a webhook request as its sender would send it.
type request struct {
	body   string
	header map[string]string
}

// senders builds, per Receiver type, a genuine request signed with key and the extra Secret
// keys the type reads; a request built with another key is a forgery.
var senders = map[string]func(t *testing.T, key string) request{
	"generic": func(*testing.T, string) request { return request{body: `{}`} },
	"generic-hmac": func(_ *testing.T, key string) request {
		return request{body: `{"ref":"main"}`, header: map[string]string{"X-Signature": "sha512=" + hexMAC(sha512.New, key, `{"ref":"main"}`)}}
	},
	"github": func(_ *testing.T, key string) request {
		body := `{"ref":"refs/heads/main","repository":{"full_name":"org/app"}}`
		return request{body: body, header: map[string]string{"X-GitHub-Event": "push", "Content-Type": "application/json",
			"X-Hub-Signature-256": "sha256=" + hexMAC(sha256.New, key, body)}}
	},
	"gitlab": func(_ *testing.T, key string) request {
		return request{body: `{"object_kind":"push"}`, header: map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": key}}
	},
	"bitbucket": func(_ *testing.T, key string) request {
		body := `{"eventKey":"repo:refs_changed"}`
		return request{body: body, header: map[string]string{"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": "sha256=" + hexMAC(sha256.New, key, body)}}
	},
	"harbor": func(_ *testing.T, key string) request {
		return request{body: `{"type":"PUSH_ARTIFACT","event_data":{}}`, header: map[string]string{"Authorization": key}}
	},
	"nexus": func(_ *testing.T, key string) request {
		body := `{"action":"CREATED","repositoryName":"docker-hosted"}`
		return request{body: body, header: map[string]string{"X-Nexus-Webhook-Signature": hexMAC(sha1.New, key, body)}}
	},
	"gcr": func(t *testing.T, key string) request {
		data := base64.StdEncoding.EncodeToString([]byte(`{"action":"INSERT","tag":"europe-docker.pkg.dev/p/r/app:1.0.0"}`))
		email := "push@p.iam.gserviceaccount.com"
		if key != token {
			email = "someone@else.iam.gserviceaccount.com"
		}
		return request{body: `{"message":{"data":"` + data + `"},"subscription":"projects/p/subscriptions/s"}`,
			header: map[string]string{"Authorization": "Bearer " + issuer.idToken(t, "flux-webhook", email)}}
	},
}

// unsigned are the types whose senders sign nothing (the secret path is all): their invalid
// request is a payload that is not theirs.
var unsigned = map[string]request{
	"dockerhub": {body: `{"push_data":{"tag":"1.0.0"},"repository":{"repo_name":"org/app"}}`},
	"quay":      {body: `{"docker_url":"quay.io/org/app","updated_tags":["1.0.0"]}`},
	"acr":       {body: `{"action":"push","target":{"repository":"app","tag":"1.0.0"}}`},
	"cdevents": {body: `{"context":{"type":"dev.cdevents.artifact.published.0.1.1"},"subject":{}}`, header: map[string]string{
		"Ce-Type": "dev.cdevents.artifact.published.0.1.1", "Ce-Specversion": "1.0", "Ce-Id": "1", "Ce-Source": "/ci"}},
}

const token = "receiver-token"

// TestReceiverTypes: for every type, a genuine request asks the GitRepository to reconcile
// (200 and a new requestedAt), and a forged or foreign one is refused (401, or 400 for the
// unsigned types) and changes nothing.
func TestReceiverTypes(t *testing.T) {
	types := map[string]bool{}
	for typ := range senders {
		types[typ] = true
	}
	for typ := range unsigned {
		types[typ] = true
	}
	for typ := range types {
		t.Run(typ, func(t *testing.T) {
			ns := testenv.NewNamespace(t, env.Client)
			gitRepository(t, ns, "app", nil)
			secret := map[string]string{"token": token, "audience": "flux-webhook", "email": "push@p.iam.gserviceaccount.com"}
			recv := newReceiver(t, ns, typ, secret, nil, byName("app"))
			valid, forged := unsigned[typ], request{body: `{"not":"theirs"}`, header: unsigned[typ].header}
			wantForged := http.StatusBadRequest
			if build, ok := senders[typ]; ok {
				valid, forged, wantForged = build(t, token), build(t, "guessed"), http.StatusUnauthorized
			}
			if typ != "generic" {
				// The receiver's cache may not hold the new path yet (404): poll until it answers.
				NewWithT(t).Eventually(func() int { return send(t, recv.Status.WebhookPath, []byte(forged.body), forged.header) },
					testenv.Timeout, testenv.Interval).Should(Equal(wantForged), "forged request")
				if got := requestedAt(t, ns, "app"); got != "" {
					t.Fatalf("a forged request annotated the GitRepository: %q", got)
				}
			}
			if code := send(t, recv.Status.WebhookPath, []byte(valid.body), valid.header); code != http.StatusOK {
				t.Fatalf("genuine request answered %d", code)
			}
			if requestedAt(t, ns, "app") == "" {
				t.Fatal("a genuine request did not annotate the GitRepository")
			}
		})
	}
	if len(types) != 12 {
		t.Fatalf("%d types tested, want the 12 Ferry implements", len(types))
	}
}
