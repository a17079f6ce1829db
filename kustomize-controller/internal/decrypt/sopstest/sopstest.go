// Package sopstest encrypts test fixtures with SOPS and age, the way the sops command does, so
// that tests of decryption need no files encrypted in advance.
package sopstest

import (
	"crypto/rand"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/keys"

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

// Key makes the master key of a document from its new data key: it encrypts the data key
// for one recipient (an age recipient, a PGP key, a Vault or KMS key of a local server).
type Key func(t testing.TB, dataKey []byte) keys.MasterKey

// Age encrypts the data key for an age recipient.
func Age(recipient string) Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		mk, err := sopsage.MasterKeyFromRecipient(recipient)
		if err != nil {
			t.Fatalf("failed to parse recipient: %v", err)
		}
		if err := mk.Encrypt(dataKey); err != nil {
			t.Fatalf("failed to encrypt the data key for %s: %v", recipient, err)
		}
		return mk
	}
}

// Encrypt encrypts plain, the content of a file called name (whose extension selects the
// format, as with the sops command), for the age recipients. encryptedRegex limits
// encryption to matching keys, as sops' --encrypted-regex ("" encrypts every value).
func Encrypt(t testing.TB, name string, plain []byte, encryptedRegex string, recipients ...string) []byte {
	t.Helper()
	ks := make([]Key, 0, len(recipients))
	for _, r := range recipients {
		ks = append(ks, Age(r))
	}
	return EncryptFor(t, name, plain, encryptedRegex, ks...)
}

// EncryptFor encrypts plain as Encrypt does, with a new data key that each of ks encrypts
// (one key group holding every key, as sops does by default).
func EncryptFor(t testing.TB, name string, plain []byte, encryptedRegex string, ks ...Key) []byte {
	t.Helper()
	st := decrypt.StoreFor(formats.FormatForPath(name))
	branches, err := st.LoadPlainFile(plain)
	if err != nil {
		t.Fatalf("failed to load %s: %v", name, err)
	}
	dataKey := make([]byte, 32)
	if _, err := rand.Read(dataKey); err != nil {
		t.Fatal(err)
	}
	var group sops.KeyGroup
	for _, k := range ks {
		group = append(group, k(t, dataKey))
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		KeyGroups: []sops.KeyGroup{group}, EncryptedRegex: encryptedRegex, Version: "3.13.3",
	}}
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
