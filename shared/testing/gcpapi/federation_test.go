package gcpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/oidcissuer"
)

const (
	provider = "projects/123456789/locations/global/workloadIdentityPools/ferry/providers/kind"
	subject  = "system:serviceaccount:tenant:reader"
	reader   = "reader@ferry-test.iam.gserviceaccount.com"
)

// federationServer starts a server trusting the tokens of a new issuer for provider and for
// the GKE cluster ferry-test/europe-west1/ferry, and returns it with the issuer and a
// function signing genuine tokens for an audience and a subject.
func federationServer(t *testing.T) (*gcpapi.Server, *oidcissuer.Issuer, func(aud, sub string) string) {
	t.Helper()
	s, err := gcpapi.New("controller@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	is, err := oidcissuer.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	// The issuer's own tokens are genuine: a real STS checks the signature with its keys.
	var issued sync.Map // token → subject
	verify := func(token string) (string, bool) {
		sub, ok := issued.Load(token)
		if !ok {
			return "", false
		}
		return sub.(string), true
	}
	if err := s.AddWorkloadIdentityProvider(provider, verify); err != nil {
		t.Fatal(err)
	}
	s.AddGKECluster("ferry-test", "europe-west1", "ferry", verify)
	sign := func(aud, sub string) string {
		tok, err := is.Sign(is.Claims(aud, sub))
		if err != nil {
			t.Fatal(err)
		}
		issued.Store(tok, sub)
		return tok
	}
	return s, is, sign
}

// exchangeForm is a token exchange as Google's client libraries send it.
func exchangeForm(audience, token string) url.Values {
	return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "audience": {audience},
		"scope": {"https://www.googleapis.com/auth/cloud-platform"}, "requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"subject_token": {token}, "subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}}
}

// post posts form to the STS and returns the status and the decoded answer.
func post(t *testing.T, s *gcpapi.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/v1/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestTokenExchange exchanges a provider's genuine tokens for federated access tokens of
// their principal, and refuses what Google refuses: another grant, another audience, a token
// for another audience, a forged or expired token.
func TestTokenExchange(t *testing.T) {
	s, is, sign := federationServer(t)
	audience := "//iam.googleapis.com/" + provider
	for _, aud := range []string{audience, "https://iam.googleapis.com/" + provider} {
		code, out := post(t, s, exchangeForm(audience, sign(aud, subject)))
		if code != http.StatusOK || out["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" || out["token_type"] != "Bearer" {
			t.Fatalf("token for %s: %d %v", aud, code, out)
		}
		principal, ok := s.Principal(out["access_token"].(string))
		if want := gcpapi.WorkloadIdentityPrincipal(provider, subject); !ok || principal != want {
			t.Fatalf("principal %q, want %q", principal, want)
		}
	}
	gke := "identitynamespace:ferry-test.svc.id.goog:https://container.googleapis.com/v1/projects/ferry-test/locations/europe-west1/clusters/ferry"
	code, out := post(t, s, exchangeForm(gke, sign("ferry-test.svc.id.goog", subject)))
	if principal, _ := s.Principal(toString(out["access_token"])); code != http.StatusOK || principal != gcpapi.GKEPrincipal("ferry-test", "tenant", "reader") {
		t.Fatalf("GKE token: %d %v, principal %q", code, out, principal)
	}

	forged, err := is.SignUnpublished(is.Claims(audience, subject))
	if err != nil {
		t.Fatal(err)
	}
	expired := is.Claims(audience, subject)
	expired["exp"] = expired["iat"].(int64) - 60
	stale, err := is.Sign(expired)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mutate func(url.Values)
		error  string
	}{
		"grant":          {func(f url.Values) { f.Set("grant_type", "client_credentials") }, "unsupported_grant_type"},
		"requested type": {func(f url.Values) { f.Set("requested_token_type", "urn:ietf:params:oauth:token-type:id_token") }, "invalid_request"},
		"subject type":   {func(f url.Values) { f.Set("subject_token_type", "urn:ietf:params:oauth:token-type:saml2") }, "invalid_request"},
		"scope":          {func(f url.Values) { f.Del("scope") }, "invalid_scope"},
		"unknown provider": {func(f url.Values) {
			f.Set("audience", strings.Replace(audience, "/kind", "/other", 1))
		}, "invalid_target"},
		"token audience": {func(f url.Values) { f.Set("subject_token", sign("sts.amazonaws.com", subject)) }, "invalid_grant"},
		"GKE token":      {func(f url.Values) { f.Set("subject_token", sign("ferry-test.svc.id.goog", subject)) }, "invalid_grant"},
		"forged":         {func(f url.Values) { f.Set("subject_token", forged) }, "invalid_grant"},
		"expired":        {func(f url.Values) { f.Set("subject_token", stale) }, "invalid_grant"},
		"not a JWT":      {func(f url.Values) { f.Set("subject_token", "opaque") }, "invalid_grant"},
	} {
		form := exchangeForm(audience, sign(audience, subject))
		tc.mutate(form)
		if code, out := post(t, s, form); code != http.StatusBadRequest || out["error"] != tc.error {
			t.Errorf("%s: %d %v, want 400 %s", name, code, out, tc.error)
		}
	}
}

// TestGenerateAccessToken impersonates a service account with the federated token of a
// principal allowed to, and refuses other principals, a missing bearer and a project other
// than the - wildcard.
func TestGenerateAccessToken(t *testing.T) {
	s, _, sign := federationServer(t)
	audience := "//iam.googleapis.com/" + provider
	_, out := post(t, s, exchangeForm(audience, sign(audience, subject)))
	federated := toString(out["access_token"])
	_, out = post(t, s, exchangeForm(audience, sign(audience, "system:serviceaccount:tenant:other")))
	other := toString(out["access_token"])
	s.AllowImpersonation(reader, gcpapi.WorkloadIdentityPrincipal(provider, subject))

	generate := func(project, bearer string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1/projects/"+project+"/serviceAccounts/"+reader+":generateAccessToken",
			strings.NewReader(`{"scope":["https://www.googleapis.com/auth/cloud-platform"],"lifetime":"3600s"}`))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	code, body := generate("-", federated)
	if principal, _ := s.Principal(toString(body["accessToken"])); code != http.StatusOK || principal != reader || body["expireTime"] == nil {
		t.Fatalf("impersonation: %d %v, principal %q", code, body, principal)
	}
	for name, tc := range map[string]struct {
		project, bearer string
		code            int
	}{
		"other principal": {"-", other, http.StatusForbidden},
		"no bearer":       {"-", "", http.StatusUnauthorized},
		"unknown bearer":  {"-", "ya29.unknown", http.StatusUnauthorized},
		"project":         {"ferry-test", federated, http.StatusBadRequest},
	} {
		if code, body := generate(tc.project, tc.bearer); code != tc.code {
			t.Errorf("%s: %d %v, want %d", name, code, body, tc.code)
		}
	}
	if s.Impersonations() != 1 || s.Exchanges() != 2 {
		t.Fatalf("impersonations %d, exchanges %d", s.Impersonations(), s.Exchanges())
	}
}

// TestRequirePrincipal lets only the tokens of the required principal read a bucket.
func TestRequirePrincipal(t *testing.T) {
	s, _, sign := federationServer(t)
	s.PutObjects("b", map[string]string{"a": "a"})
	audience := "//iam.googleapis.com/" + provider
	_, out := post(t, s, exchangeForm(audience, sign(audience, subject)))
	federated := toString(out["access_token"])
	list := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/storage/v1/b/b/o", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	s.AcceptTokens(func(token string) bool { return token == "ya29.metadata" })
	if list(federated) != http.StatusOK || list("ya29.metadata") != http.StatusOK {
		t.Fatal("a token was refused before a principal was required")
	}
	s.RequirePrincipal(gcpapi.WorkloadIdentityPrincipal(provider, subject))
	if list(federated) != http.StatusOK || list("ya29.metadata") != http.StatusUnauthorized {
		t.Fatal("only the required principal's token may read")
	}
}

// toString is v as a string, or "".
func toString(v any) string {
	s, _ := v.(string)
	return s
}
