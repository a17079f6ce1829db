package gcpapi_test

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/oauth2/google"

	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
)

func TestMetadataServesApplicationDefaultCredentials(t *testing.T) {
	m := gcpapi.NewMetadata(t, "source@ferry-project.iam.gserviceaccount.com")
	t.Setenv("GCE_METADATA_HOST", m.Host())
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	creds, err := google.FindDefaultCredentials(context.Background(), "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !m.Valid(tok.AccessToken) || tok.AccessToken != m.Token() || m.Valid("ya29.forged") {
		t.Fatalf("token %q is not the server's", tok.AccessToken)
	}
	if creds.ProjectID != "ferry-project" || m.TokenCalls() != 1 {
		t.Fatalf("project %q, token calls %d", creds.ProjectID, m.TokenCalls())
	}
}

func TestMetadataRefusesRequestsWithoutFlavorOrForwarded(t *testing.T) {
	m := gcpapi.NewMetadata(t, "source@ferry-project.iam.gserviceaccount.com")
	url := "http://" + m.Host() + "/computeMetadata/v1/instance/service-accounts/default/token"
	for name, tc := range map[string]struct {
		header map[string]string
		want   int
	}{
		"no flavor":    {nil, http.StatusForbidden},
		"wrong flavor": {map[string]string{"Metadata-Flavor": "google "}, http.StatusForbidden},
		"forwarded":    {map[string]string{"Metadata-Flavor": "Google", "X-Forwarded-For": "10.0.0.1"}, http.StatusForbidden},
		"flavor":       {map[string]string{"Metadata-Flavor": "Google"}, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want || resp.Header.Get("Metadata-Flavor") != "Google" {
			t.Errorf("%s: got %d (flavor %q), want %d", name, resp.StatusCode, resp.Header.Get("Metadata-Flavor"), tc.want)
		}
	}
	if m.TokenCalls() != 1 {
		t.Fatalf("token calls %d", m.TokenCalls())
	}
}
