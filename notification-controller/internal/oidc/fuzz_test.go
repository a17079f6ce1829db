package oidc

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// FuzzVerify feeds untrusted Authorization headers to a Verifier trusting the test testIssuer.
// Whatever the header: no panic, an error wrapping ErrUnauthorized, ErrForbidden or
// ErrUnavailable, and never an accepted request unless the header is a token the issuer
// signed.
func FuzzVerify(f *testing.F) {
	p, err := Compile(providers())
	if err != nil {
		f.Fatal(err)
	}
	good, err := testIssuer.Sign(testIssuer.Claims("ferry", "acme/app"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer " + good)
	f.Add("Bearer a.b.c")
	f.Add("Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("bearer  ")
	f.Add("Basic x")
	v := NewVerifier(testIssuer.Client())
	f.Fuzz(func(t *testing.T, header string) {
		claims, err := v.Verify(context.Background(), http.Header{"Authorization": {header}}, p)
		if err == nil {
			if header != "Bearer "+good && header != "bearer "+good {
				t.Fatalf("accepted %q with claims %v", header, claims)
			}
			return
		}
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrUnavailable) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
