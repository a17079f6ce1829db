package oidc

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/testing/oidcissuer"
)

var testIssuer *oidcissuer.Issuer

func TestMain(m *testing.M) {
	var err error
	if testIssuer, err = oidcissuer.Start(); err != nil {
		os.Exit(1)
	}
	code := m.Run()
	testIssuer.Close()
	os.Exit(code)
}

// providers is a policy trusting the test issuer for audience "ferry", for subjects of the
// org "acme".
func providers() []notificationv1.OIDCProvider {
	return []notificationv1.OIDCProvider{{
		IssuerURL: testIssuer.URL(), Audience: "ferry",
		Variables: []notificationv1.OIDCVariable{
			{Name: "org", Expression: `claims.sub.split("/")[0]`},
			{Name: "allowed", Expression: `vars.org in ["acme"]`},
		},
		Validations: []notificationv1.OIDCValidation{
			{Expression: `vars.allowed`, Message: "wrong org"},
			{Expression: `!has(claims.blocked)`, Message: "blocked caller"},
		},
	}}
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func sign(t *testing.T, mutate func(map[string]any)) string {
	t.Helper()
	c := testIssuer.Claims("ferry", "acme/app")
	if mutate != nil {
		mutate(c)
	}
	tok, err := testIssuer.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestVerify: a token of the trusted issuer for the audience whose claims pass the
// validations is accepted with its claims; every other request is refused with the error
// that says why, and nothing of the token appears in the error.
func TestVerify(t *testing.T) {
	p, err := Compile(providers())
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(testIssuer.Client())
	forged, err := testIssuer.SignUnpublished(testIssuer.Claims("ferry", "acme/app"))
	if err != nil {
		t.Fatal(err)
	}
	hs256 := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhY21lL2FwcCJ9.c2lnbmF0dXJl"
	now := time.Now()
	tests := []struct {
		name   string
		header http.Header
		want   error
		msg    string
	}{
		{"valid", bearer(sign(t, nil)), nil, ""},
		{"lowercase scheme", http.Header{"Authorization": {"bearer " + sign(t, nil)}}, nil, ""},
		{"no token", http.Header{}, ErrUnauthorized, "missing bearer token"},
		{"basic auth", http.Header{"Authorization": {"Basic YTpi"}}, ErrUnauthorized, "missing bearer token"},
		{"not a JWT", bearer("not-a-jwt"), ErrUnauthorized, "malformed"},
		{"symmetric algorithm", bearer(hs256), ErrUnauthorized, "malformed"},
		{"wrong signature", bearer(forged), ErrUnauthorized, "signature"},
		{"wrong issuer", bearer(sign(t, func(c map[string]any) { c["iss"] = "https://elsewhere.example.com" })), ErrUnauthorized, "issuer is not trusted"},
		{"wrong audience", bearer(sign(t, func(c map[string]any) { c["aud"] = "other" })), ErrUnauthorized, "audience"},
		{"audience list", bearer(sign(t, func(c map[string]any) { c["aud"] = []string{"other", "ferry"} })), nil, ""},
		{"expired", bearer(sign(t, func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })), ErrUnauthorized, "expired"},
		{"no expiry", bearer(sign(t, func(c map[string]any) { delete(c, "exp") })), ErrUnauthorized, "expired"},
		{"not yet valid", bearer(sign(t, func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), ErrUnauthorized, "not yet valid"},
		{"failing validation", bearer(sign(t, func(c map[string]any) { c["sub"] = "evil/app" })), ErrForbidden, "wrong org"},
		{"two failing validations", bearer(sign(t, func(c map[string]any) { c["sub"] = "evil/app"; c["blocked"] = true })), ErrForbidden, "wrong org; blocked caller"},
		{"variable error", bearer(sign(t, func(c map[string]any) { delete(c, "sub") })), ErrForbidden, `variable "org"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := v.Verify(context.Background(), tt.header, p)
			if tt.want == nil {
				if err != nil || claims["sub"] != "acme/app" {
					t.Fatalf("Verify = %v, %v", claims, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) || claims != nil {
				t.Fatalf("Verify error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if raw := strings.TrimPrefix(tt.header.Get("Authorization"), "Bearer "); len(raw) > 10 && strings.Contains(err.Error(), raw) {
				t.Fatal("the error holds the token")
			}
		})
	}
}

// TestDefaultAudience: without spec audience, tokens must be for "notification-controller".
func TestDefaultAudience(t *testing.T) {
	spec := providers()
	spec[0].Audience = ""
	p, err := Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(testIssuer.Client())
	if _, err := v.Verify(context.Background(), bearer(sign(t, nil)), p); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a token for another audience: %v", err)
	}
	if _, err := v.Verify(context.Background(), bearer(sign(t, func(c map[string]any) { c["aud"] = DefaultAudience })), p); err != nil {
		t.Fatal(err)
	}
}

// TestKeyCache: the key set is fetched once for many tokens, again when a token names a key
// the cached set lacks (a rotation), and an unreachable issuer is ErrUnavailable.
func TestKeyCache(t *testing.T) {
	p, err := Compile(providers())
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(testIssuer.Client())
	before := testIssuer.JWKSFetches()
	for range 3 {
		if _, err := v.Verify(context.Background(), bearer(sign(t, nil)), p); err != nil {
			t.Fatal(err)
		}
	}
	if got := testIssuer.JWKSFetches() - before; got != 1 {
		t.Fatalf("the key set was fetched %d times for three tokens", got)
	}
	v.issuers[testIssuer.URL()].keys.SetNow(func() time.Time { return time.Now().Add(time.Minute) })
	if err := testIssuer.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), bearer(sign(t, nil)), p); err != nil {
		t.Fatalf("a token of the rotated key: %v", err)
	}
	if got := testIssuer.JWKSFetches() - before; got != 2 {
		t.Fatalf("the key set was fetched %d times after a rotation, want 2", got)
	}

	unreachable := providers()
	unreachable[0].IssuerURL = "https://127.0.0.1:1"
	p, err = Compile(unreachable)
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, func(c map[string]any) { c["iss"] = "https://127.0.0.1:1" })
	if _, err := v.Verify(context.Background(), bearer(tok), p); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("an unreachable issuer: %v", err)
	}
}

// TestEviction: the cache holds at most maxIssuers issuers, dropping the least recently used.
func TestEviction(t *testing.T) {
	v := NewVerifier(testIssuer.Client())
	for i := range maxIssuers + 5 {
		v.mu.Lock()
		if len(v.issuers) >= maxIssuers {
			v.evict()
		}
		v.issuers[strings.Repeat("x", i+1)] = &issuer{used: time.Unix(int64(i), 0)}
		v.mu.Unlock()
	}
	if len(v.issuers) != maxIssuers {
		t.Fatalf("%d issuers cached", len(v.issuers))
	}
	if _, ok := v.issuers["x"]; ok {
		t.Fatal("the least recently used issuer was kept")
	}
}

// TestCompile: invalid providers are refused with the field and the expression named.
func TestCompile(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *notificationv1.OIDCProvider)
		want   string
	}{
		{"valid", func(*notificationv1.OIDCProvider) {}, ""},
		{"no validation", func(p *notificationv1.OIDCProvider) { p.Validations = nil }, "spec.oidcProviders[0].validations must list"},
		{"bad validation", func(p *notificationv1.OIDCProvider) { p.Validations[1].Expression = "claims.sub ==" },
			`spec.oidcProviders[0].validations[1].expression "claims.sub ==" does not compile`},
		{"validation not boolean", func(p *notificationv1.OIDCProvider) { p.Validations[0].Expression = `"yes"` },
			`spec.oidcProviders[0].validations[0].expression "\"yes\"" returns string`},
		{"bad variable", func(p *notificationv1.OIDCProvider) { p.Variables[0].Expression = "claims.(" },
			`spec.oidcProviders[0].variables[0].expression "claims.(" does not compile`},
		{"bad variable name", func(p *notificationv1.OIDCProvider) { p.Variables[1].Name = "a-b" }, `variables[1].name "a-b"`},
		{"duplicate variable", func(p *notificationv1.OIDCProvider) { p.Variables[1].Name = "org" }, `variables[1].name "org"`},
		{"bad issuer", func(p *notificationv1.OIDCProvider) { p.IssuerURL = "testIssuer.example.com" }, "spec.oidcProviders[0].issuerURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := providers()
			tt.mutate(&spec[0])
			_, err := Compile(spec)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Compile(nil); err == nil {
		t.Fatal("no provider compiled")
	}
	twice := append(providers(), providers()...)
	if _, err := Compile(twice); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("an issuer listed twice: %v", err)
	}
}
