package azureapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

func TestChallengeAndClientSecret(t *testing.T) {
	ca, pair := pki.NewServer(t)
	p := azureapi.Principal{TenantID: "tenant-1", ClientID: "client", ClientSecret: "secret"}
	s, err := azureapi.New(p, pair.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(nil)}}

	resp, err := c.Post(s.URL()+"/keys/k/v1/decrypt?api-version=7.6", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	host := strings.TrimPrefix(s.URL(), "https://127.")
	want := `Bearer authorization="` + s.URL() + `/tenant-1", resource="https://` + host + `"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("challenge: %d %q, want %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}

	for secret, code := range map[string]int{"wrong": http.StatusUnauthorized, "secret": http.StatusOK} {
		resp, err := c.PostForm(s.URL()+"/tenant-1/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"client"}, "client_secret": {secret},
			"scope": {"https://" + host + "/.default"},
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("client secret %q: got %d, want %d", secret, resp.StatusCode, code)
		}
	}
	if s.Denied() != 1 {
		t.Fatalf("denied %d", s.Denied())
	}
}

// TestRequireKeyClient: a vault that requires a client decrypts for that client's tokens
// only, and for every client's again once lifted.
func TestRequireKeyClient(t *testing.T) {
	ca, pair := pki.NewServer(t)
	s, err := azureapi.New(azureapi.Principal{TenantID: "tenant-1", ClientID: "owner", ClientSecret: "owner-secret"}, pair.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddPrincipal(azureapi.Principal{TenantID: "tenant-1", ClientID: "other", ClientSecret: "other-secret"}); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(nil)}}
	host := strings.TrimPrefix(s.URL(), "https://127.")
	token := func(client, secret string) string {
		resp, err := c.PostForm(s.URL()+"/tenant-1/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret},
			"scope": {"https://" + host + "/.default"},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
			t.Fatalf("no token for %s: %v", client, err)
		}
		return out.AccessToken
	}
	value, err := s.Encrypt("k", "1", []byte("data key"))
	if err != nil {
		t.Fatal(err)
	}
	decrypt := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/keys/k/1/decrypt?api-version=7.6",
			strings.NewReader(`{"alg":"RSA-OAEP-256","value":"`+value+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	owner, other := token("owner", "owner-secret"), token("other", "other-secret")
	s.RequireKeyClient("owner")
	if got := []int{decrypt(owner), decrypt(other)}; got[0] != http.StatusOK || got[1] != http.StatusForbidden {
		t.Fatalf("with the owner required: %v, want 200 and 403", got)
	}
	s.RequireKeyClient("")
	if got := decrypt(other); got != http.StatusOK {
		t.Fatalf("lifted: %d", got)
	}
}
