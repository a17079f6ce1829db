package gcpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
)

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	s, err := gcpapi.New("sa@p.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, auth := range []string{"", "Bearer ya29.unknown", "Bearer a.b.c"} {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1/projects/p/locations/l/keyRings/r/cryptoKeys/k:decrypt", strings.NewReader(`{}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q: got %d", auth, resp.StatusCode)
		}
	}
	resp, err := http.PostForm(s.URL()+"/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"e30.e30.AAAA"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || s.Denied() != 4 {
		t.Fatalf("token with a forged assertion: %d, denied %d", resp.StatusCode, s.Denied())
	}
}
