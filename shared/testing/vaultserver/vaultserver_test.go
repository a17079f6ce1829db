package vaultserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/vaultserver"
)

// post sends a transit request and decodes the answer.
func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestTransitRoundTripAndToken(t *testing.T) {
	s, err := vaultserver.New(vaultserver.Options{Token: "root-token", Mounts: []string{"sops/transit"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ct, err := s.Encrypt("sops/transit", "k1", []byte("data-key"))
	if err != nil || !strings.HasPrefix(ct, "vault:v1:") {
		t.Fatalf("ciphertext %q, %v", ct, err)
	}
	code, out := post(t, s.Address()+"/v1/sops/transit/decrypt/k1", "root-token", `{"ciphertext":"`+ct+`"}`)
	if code != http.StatusOK {
		t.Fatalf("decrypt: %d %v", code, out)
	}
	plain, _ := base64.StdEncoding.DecodeString(out["data"].(map[string]any)["plaintext"].(string))
	if string(plain) != "data-key" {
		t.Fatalf("plaintext %q", plain)
	}
	if code, _ := post(t, s.Address()+"/v1/sops/transit/decrypt/k1", "other", `{"ciphertext":"`+ct+`"}`); code != http.StatusForbidden {
		t.Fatalf("a wrong token got %d", code)
	}
	if code, _ := post(t, s.Address()+"/v1/sops/transit/decrypt/k2", "root-token", `{"ciphertext":"`+ct+`"}`); code != http.StatusBadRequest {
		t.Fatalf("an unknown key got %d", code)
	}
	code, out = post(t, s.Address()+"/v1/sops/transit/encrypt/k2", "root-token", `{"plaintext":"aGk="}`)
	if code != http.StatusOK || !strings.HasPrefix(out["data"].(map[string]any)["ciphertext"].(string), "vault:v1:") {
		t.Fatalf("encrypt: %d %v", code, out)
	}
	if s.Decrypts() != 1 || s.Denied() != 1 {
		t.Fatalf("decrypts %d denied %d", s.Decrypts(), s.Denied())
	}
}
