package sopstest

import (
	"encoding/base64"
	"testing"

	"github.com/getsops/sops/v3/azkv"
	gcpkmssops "github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/kms"

	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
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

// AWSKMS encrypts the data key with a key of a local AWS KMS server, as
// `sops --kms <arn>[+<role>]` does (role "" for none).
func AWSKMS(s *awsapi.Server, arn, role string, encCtx map[string]string) Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		blob, err := s.Encrypt(arn, dataKey, encCtx)
		if err != nil {
			t.Fatalf("failed to encrypt the data key with AWS KMS: %v", err)
		}
		ctx := map[string]*string{}
		for k, v := range encCtx {
			ctx[k] = &v
		}
		mk := kms.NewMasterKey(arn, role, ctx)
		if len(ctx) == 0 {
			mk.EncryptionContext = nil
		}
		mk.EncryptedKey = base64.StdEncoding.EncodeToString(blob)
		return mk
	}
}

// AzureKV encrypts the data key with a key of a local Azure Key Vault, as
// `sops --azure-kv <vault>/keys/<name>/<version>` does.
func AzureKV(s *azureapi.Server, name, version string) Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		ct, err := s.Encrypt(name, version, dataKey)
		if err != nil {
			t.Fatalf("failed to encrypt the data key with Azure Key Vault: %v", err)
		}
		mk := azkv.NewMasterKey(s.URL(), name, version)
		mk.EncryptedKey = ct
		return mk
	}
}

// GCPKMS encrypts the data key with a crypto key of a local Cloud KMS, as
// `sops --gcp-kms <resource>` does.
func GCPKMS(s *gcpapi.Server, resourceID string) Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		mk := gcpkmssops.NewMasterKeyFromResourceID(resourceID)
		mk.EncryptedKey = base64.StdEncoding.EncodeToString(s.Encrypt(resourceID, dataKey))
		return mk
	}
}
