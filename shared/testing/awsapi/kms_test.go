package awsapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
)

func TestUnsignedAndForgedRequestsAreRefused(t *testing.T) {
	s, err := awsapi.New(awsapi.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for auth, want := range map[string]string{
		"": "MissingAuthenticationTokenException",
		"AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=00":  "IncompleteSignatureException",
		"AWS4-HMAC-SHA256 Credential=AKIDOTHER/20260101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=00": "UnrecognizedClientException",
	} {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "TrentService.Decrypt")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != want {
			t.Errorf("%q: got %d %s, want %s", auth, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), want)
		}
	}
	if s.Denied() != 3 || s.Decrypts() != 0 {
		t.Fatalf("denied %d decrypts %d", s.Denied(), s.Decrypts())
	}
}
