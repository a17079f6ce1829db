package sopstest

import (
	"testing"

	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"

	"github.com/ferry-gitops/ferry/shared/testing/vaultserver"
)

// Vault encrypts the data key with a transit key of a local Vault server, as
// `sops --hc-vault-transit <address>/v1/<mount>/keys/<name>` does.
func Vault(s *vaultserver.Server, mount, name string) Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		ct, err := s.Encrypt(mount, name, dataKey)
		if err != nil {
			t.Fatalf("failed to encrypt the data key with Vault: %v", err)
		}
		mk := hcvault.NewMasterKey(s.Address(), mount, name)
		mk.EncryptedKey = ct
		return mk
	}
}
