package sshkey

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

func TestGenerateAndParse(t *testing.T) {
	for _, tc := range []struct {
		algorithm, curve, prefix string
		bits                     int
	}{
		{algorithm: "ecdsa", curve: "p384", prefix: "ecdsa-sha2-nistp384 "},
		{algorithm: "ecdsa", curve: "p256", prefix: "ecdsa-sha2-nistp256 "},
		{algorithm: "ed25519", prefix: "ssh-ed25519 "},
		{algorithm: "rsa", bits: 2048, prefix: "ssh-rsa "},
	} {
		t.Run(tc.algorithm+tc.curve, func(t *testing.T) {
			pair, err := Generate(tc.algorithm, tc.bits, tc.curve)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(pair.PublicKey), tc.prefix) {
				t.Errorf("public key %q", pair.PublicKey)
			}
			parsed, err := Parse(pair.PrivateKey, "")
			if err != nil || string(parsed.PublicKey) != string(pair.PublicKey) {
				t.Errorf("Parse = %q, %v", parsed.PublicKey, err)
			}
		})
	}
	if _, err := Generate("dsa", 0, ""); err == nil {
		t.Error("dsa was accepted")
	}
	if _, err := Generate("ecdsa", 0, "p999"); err == nil {
		t.Error("an unknown curve was accepted")
	}
	if _, err := Parse([]byte("not a key"), ""); err == nil {
		t.Error("garbage parsed as a key")
	}
}

// TestScanHostKey reads the host key of a real SSH server and returns the known_hosts line
// the server's own tests trust.
func TestScanHostKey(t *testing.T) {
	srv := gitserver.NewRepos(t).ServeSSH(t)
	line, err := ScanHostKey(srv.Addr, "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(line)) != strings.TrimSpace(string(srv.KnownHosts)) {
		t.Errorf("known_hosts = %q, want %q", line, srv.KnownHosts)
	}
	if _, err := ScanHostKey("127.0.0.1:1", "", time.Second); err == nil {
		t.Error("a closed port gave a host key")
	}
}
