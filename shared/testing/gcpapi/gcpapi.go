// Package gcpapi is a local HTTP server on 127.0.0.1 that speaks, as Google documents them,
// the parts of Google Cloud that Ferry's clients talk to:
//
//   - Server: the OAuth 2.0 token endpoint of service accounts (the JWT bearer grant, RFC
//     7523, checking the assertion's RS256 signature with the account's public key) and the
//     REST API of Cloud KMS (POST /v1/{cryptoKey}:encrypt and :decrypt), which accepts an
//     access token of the token endpoint or a self-signed JWT of the account, and the JSON
//     API of Cloud Storage (buckets.get, objects.list with pagination, objects.get with
//     alt=media), which also accepts the tokens that AcceptTokens adds (a Metadata server's);
//     and, for workload identity federation, the Security Token Service's token exchange
//     (POST /v1/token: a JWT of a trusted workload identity pool provider or GKE cluster,
//     whose signature a test's function checks, for a federated access token) and IAM
//     Credentials' generateAccessToken (a federated token of a principal allowed to
//     impersonate a service account, for that account's access token);
//   - Metadata: the Compute Engine metadata server of one service account, as GKE and
//     Compute Engine serve it to workloads (its access token, email and project ID, behind
//     the Metadata-Flavor: Google header, and a GKE node's cluster name and location), for
//     Application Default Credentials.
//
// It is not Google Cloud: the service account key is made by New, keys are AES-256-GCM keys
// created on first use, the ciphertext is its own format, access tokens are random strings,
// any accepted token may read any bucket (unless RequirePrincipal names the one principal
// that may), the three APIs share one host, and nothing else of these APIs is served.
package gcpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	return hex.EncodeToString(raw)
}
