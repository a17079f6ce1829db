package decrypt

import (
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// The test hooks: environment variables that only a test binary reads (testing.Testing()
// is true), so that tests can point the key sources at local servers on 127.0.0.1. A
// controller binary never reads them, and no field or flag changes where keys or
// credentials are sent: Vault and Azure Key Vault addresses come from the encrypted
// document, as with sops.
const (
	// TestCAFileEnv names a PEM file of certificate authorities that the HTTP clients of the
	// key sources trust besides the system's.
	TestCAFileEnv = "FERRY_SOPS_TEST_CA_FILE"
	// TestAWSKMSEndpointEnv is a base URL to which the AWS requests of the KMS key source
	// (KMS, and STS when the document names a role) are sent instead of the regional
	// endpoints (the Host header, which the request signature covers, is kept).
	TestAWSKMSEndpointEnv = "FERRY_SOPS_TEST_AWS_KMS_ENDPOINT"
	// TestAzureAuthorityEnv is the Microsoft Entra authority host (https://host:port/) to
	// use instead of the public cloud's.
	TestAzureAuthorityEnv = "FERRY_SOPS_TEST_AZURE_AUTHORITY_HOST"
	// TestGCPKMSEndpointEnv is the Cloud KMS REST endpoint to use instead of Google's.
	TestGCPKMSEndpointEnv = "FERRY_SOPS_TEST_GCP_KMS_ENDPOINT"
)

// testEnv returns the value of a test hook, or "" outside tests.
func testEnv(name string) string {
	if !testing.Testing() {
		return ""
	}
	return os.Getenv(name)
}

// testTransport returns a transport trusting the CAs of TestCAFileEnv, or nil.
func testTransport() *http.Transport { return cloud.TestTransport(TestCAFileEnv) }

// testHTTPClient returns a client trusting the CAs of TestCAFileEnv, or nil.
func testHTTPClient() *http.Client {
	if t := testTransport(); t != nil {
		return &http.Client{Transport: t}
	}
	return nil
}

// testAWSHTTPClient returns a client sending AWS requests to TestAWSKMSEndpointEnv, or nil.
func testAWSHTTPClient() *http.Client {
	endpoint := testEnv(TestAWSKMSEndpointEnv)
	if endpoint == "" {
		return nil
	}
	to, err := url.Parse(endpoint)
	if err != nil {
		return nil
	}
	var base http.RoundTripper = http.DefaultTransport
	if t := testTransport(); t != nil {
		base = t
	}
	return &http.Client{Transport: redirect{to: to, base: base}}
}

// redirect sends every request to another scheme and host, keeping the Host header.
type redirect struct {
	to   *url.URL
	base http.RoundTripper
}

// RoundTrip sends a copy of req to the redirect's host.
func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if out.Host == "" {
		out.Host = req.URL.Host
	}
	out.URL.Scheme, out.URL.Host = r.to.Scheme, r.to.Host
	return r.base.RoundTrip(out)
}
