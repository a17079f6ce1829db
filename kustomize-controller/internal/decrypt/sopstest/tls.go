package sopstest

import (
	"crypto/tls"
	"testing"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// TrustedCertificate makes a CA that the key sources trust for the rest of the test
// (through decrypt.TestCAFileEnv) and returns a server certificate it issued for 127.0.0.1.
func TrustedCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	return pki.TrustedServer(t, decrypt.TestCAFileEnv)
}
