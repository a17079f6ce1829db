// Package sopstest encrypts test fixtures with SOPS and age, the way the sops command does, so
// that tests of decryption need no files encrypted in advance.
package sopstest

import (
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/keyservice"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
)

// Identity is an age key pair.
type Identity struct {
	// Secret is the private key, AGE-SECRET-KEY-1...
	Secret string
	// Recipient is the public key, age1...
	Recipient string
}

// NewIdentity generates an age X25519 identity.
func NewIdentity(t testing.TB) Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatalf("failed to generate age identity: %v", err)
	}
	return Identity{Secret: id.String(), Recipient: id.Recipient().String()}
}

// Encrypt encrypts plain, the content of a file called name (whose extension selects the
// format, as with the sops command), for the recipients. encryptedRegex limits encryption
// to matching keys, as sops' --encrypted-regex ("" encrypts every value).
func Encrypt(t testing.TB, name string, plain []byte, encryptedRegex string, recipients ...string) []byte {
	t.Helper()
	st := decrypt.StoreFor(formats.FormatForPath(name))
	branches, err := st.LoadPlainFile(plain)
	if err != nil {
		t.Fatalf("failed to load %s: %v", name, err)
	}
	var group sops.KeyGroup
	for _, r := range recipients {
		mk, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil {
			t.Fatalf("failed to parse recipient: %v", err)
		}
		group = append(group, mk)
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		KeyGroups: []sops.KeyGroup{group}, EncryptedRegex: encryptedRegex, Version: "3.13.3",
	}}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		t.Fatalf("failed to generate data key: %v", errs)
	}
	cipher := aes.NewCipher()
	mac, err := tree.Encrypt(dataKey, cipher)
	if err != nil {
		t.Fatalf("failed to encrypt %s: %v", name, err)
	}
	tree.Metadata.LastModified = time.Now().UTC()
	tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey,
		tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		t.Fatalf("failed to encrypt MAC: %v", err)
	}
	out, err := st.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatalf("failed to emit %s: %v", name, err)
	}
	return out
}
