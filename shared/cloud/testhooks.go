package cloud

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestCAFileEnv names a PEM file of certificate authorities that the Entra ID client trusts
// besides the system's; set, it also turns off Entra's instance discovery (which asks the
// public cloud about the authority). Only a test binary (testing.Testing() is true) reads
// it, so that tests can use a local HTTPS authority on 127.0.0.1 (AZURE_AUTHORITY_HOST); a
// controller never does. Everything else a test needs is the providers' own environment:
// AWS_ENDPOINT_URL_<SERVICE>, AZURE_AUTHORITY_HOST, GCE_METADATA_HOST, except Google's
// token exchange (TestGoogleEndpointEnv).
const TestCAFileEnv = "FERRY_CLOUD_TEST_CA_FILE"

// TestGoogleEndpointEnv names the base URL of a local server (http://127.0.0.1:<port>) that
// stands, for object-level workload identity on Google Cloud, for both the Security Token
// Service (https://sts.googleapis.com, its POST /v1/token) and IAM Credentials
// (https://iamcredentials.googleapis.com, its generateAccessToken). Only a test binary
// (testing.Testing() is true) reads it; a controller always asks Google's own endpoints.
const TestGoogleEndpointEnv = "FERRY_CLOUD_TEST_GOOGLE_ENDPOINT"

// googleEndpoints returns the base URLs of the Security Token Service and of IAM
// Credentials: Google's, or in a test binary the server of TestGoogleEndpointEnv.
func googleEndpoints() (sts, iamCredentials string) {
	if testing.Testing() {
		if base := strings.TrimSuffix(os.Getenv(TestGoogleEndpointEnv), "/"); base != "" {
			return base, base
		}
	}
	return "https://sts.googleapis.com", "https://iamcredentials.googleapis.com"
}

// testTransport returns a transport trusting the CAs of TestCAFileEnv, or nil.
func testTransport() *http.Transport { return TestTransport(TestCAFileEnv) }

// TestTransport returns a transport trusting, besides the system's, the certificate
// authorities of the PEM file that the environment variable env names, or nil when it is
// not set or this is not a test binary (testing.Testing() is false): the test hook with which
// tests point a client at a local HTTPS server on 127.0.0.1.
func TestTransport(env string) *http.Transport {
	if !testing.Testing() {
		return nil
	}
	file := os.Getenv(env)
	if file == "" {
		return nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM(pem)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t
}
