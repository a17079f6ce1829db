package azureapi_test

import (
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
