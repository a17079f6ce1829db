package webhook

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// issuer stands in for Google: it signs ID tokens and publishes its keys as Google does
// (a JSON Web Key Set at a certs URL).
type issuer struct {
	key     *rsa.PrivateKey
	kid     string
	server  *httptest.Server
	fetches atomic.Int32
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, kid: "key-1"}
	is.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig"}}}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(is.server.Close)
	return is
}

// token signs an ID token with the issuer's key (or another one) for claims.
func (is *issuer) token(t testing.TB, key *rsa.PrivateKey, std jwt.Claims, email string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", is.kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(std).Claims(map[string]any{"email": email, "email_verified": true}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// pubsubPush is a Pub/Sub push body carrying an Artifact Registry notification.
func pubsubPush(action string) string {
	data := base64.StdEncoding.EncodeToString([]byte(`{"action":"` + action + `","digest":"europe-docker.pkg.dev/p/r/app@sha256:abc","tag":"europe-docker.pkg.dev/p/r/app:1.0.0"}`))
	return `{"message":{"data":"` + data + `","messageId":"1","publishTime":"2023-01-01T00:00:00Z"},"subscription":"projects/p/subscriptions/flux"}`
}

// TestGCR: a push whose ID token Google signed for the Receiver's audience and service
// account acts; a token from another key, for another audience, for another account or
// expired is refused; a DELETE notification is answered without acting.
func TestGCR(t *testing.T) {
	is := newIssuer(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	secret := Secret{Token: token, Audience: "https://flux.example.com/hook/x", Email: "push@p.iam.gserviceaccount.com"}
	opts := Options{GoogleKeys: NewKeySet(is.server.URL, nil)}
	now := time.Now()
	valid := jwt.Claims{Issuer: "https://accounts.google.com", Audience: jwt.Audience{secret.Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	expired, wrongAud := valid, valid
	expired.Expiry = jwt.NewNumericDate(now.Add(-time.Hour))
	wrongAud.Audience = jwt.Audience{"https://elsewhere"}

	tests := []struct {
		name, bearer, body string
		act                bool
		err                error
	}{
		{"genuine insert", is.token(t, is.key, valid, secret.Email), pubsubPush("INSERT"), true, nil},
		{"genuine delete", is.token(t, is.key, valid, secret.Email), pubsubPush("DELETE"), false, nil},
		{"another key", is.token(t, other, valid, secret.Email), pubsubPush("INSERT"), false, ErrUnauthorized},
		{"expired", is.token(t, is.key, expired, secret.Email), pubsubPush("INSERT"), false, ErrUnauthorized},
		{"other audience", is.token(t, is.key, wrongAud, secret.Email), pubsubPush("INSERT"), false, ErrUnauthorized},
		{"other account", is.token(t, is.key, valid, "evil@x.iam.gserviceaccount.com"), pubsubPush("INSERT"), false, ErrUnauthorized},
		{"no token", "", pubsubPush("INSERT"), false, ErrUnauthorized},
		{"not a notification", is.token(t, is.key, valid, secret.Email), `{"message":{"data":"bm90IGpzb24="}}`, false, ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.body)
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			v, err := Validate("gcr", r, secret, nil, opts)
			if !errors.Is(err, tt.err) || (tt.err != nil && err == nil) || v.Act != tt.act {
				t.Fatalf("verdict %+v, err %v; want act=%v err=%v", v, err, tt.act, tt.err)
			}
		})
	}
	if n := is.fetches.Load(); n != 1 {
		t.Errorf("the key set was fetched %d times, want once (cached)", n)
	}
}
