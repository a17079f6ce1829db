package sopstest

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// TrustedCertificate makes a CA that the key sources trust for the rest of the test
// (through decrypt.TestCAFileEnv) and returns a server certificate it issued for 127.0.0.1.
func TrustedCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer()
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(decrypt.TestCAFileEnv, caFile)
	return pair.Certificate
}
