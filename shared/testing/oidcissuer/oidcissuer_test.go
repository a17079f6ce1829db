package oidcissuer

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestIssuer: the discovery document names the issuer and its key set over HTTPS, and a
// signed token verifies with the published key only.
func TestIssuer(t *testing.T) {
	is, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	c := is.Client()
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	get(t, c, is.URL()+"/.well-known/openid-configuration", &doc)
	if doc.Issuer != is.URL() || doc.JWKSURI != is.URL()+JWKSPath {
		t.Fatalf("discovery = %+v", doc)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	get(t, c, doc.JWKSURI, &set)
	if len(set.Keys) != 1 || set.Keys[0]["kid"] != is.KeyID() || is.JWKSFetches() != 1 {
		t.Fatalf("keys = %+v, fetches %d", set.Keys, is.JWKSFetches())
	}
	raw, err := is.Sign(is.Claims("aud", "me"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil || tok.Header["kid"] != is.KeyID() {
		t.Fatalf("token header %v, %v", tok.Header, err)
	}
	if _, err := http.Get(is.URL()); err == nil {
		t.Fatal("a client without the CA reached the issuer")
	}
}

func get(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
