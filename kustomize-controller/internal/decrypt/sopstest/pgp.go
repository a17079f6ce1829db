package sopstest

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/pgp"
)

// PGPKey is an OpenPGP key pair without a passphrase, as Flux's guide makes one.
type PGPKey struct {
	// Armored is the armored private key, as `gpg --export-secret-keys --armor` writes it.
	Armored string
	// Fingerprint is the upper-case hex fingerprint of the primary key.
	Fingerprint string
	// Entity is the parsed key.
	Entity *openpgp.Entity
}

// NewPGPKey generates an Ed25519 primary key with an X25519 encryption subkey.
func NewPGPKey(t testing.TB) PGPKey {
	t.Helper()
	e, err := openpgp.NewEntity("Ferry test", "sops", "sops@ferry.test", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatalf("failed to generate an OpenPGP key: %v", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatalf("failed to serialize the OpenPGP key: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return PGPKey{Armored: buf.String(), Fingerprint: strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)), Entity: e}
}

// Key encrypts the data key for the key pair with sops' PGP key source, reading the public
// key from a keyring file.
func (k PGPKey) Key() Key {
	return func(t testing.TB, dataKey []byte) keys.MasterKey {
		t.Helper()
		ring := filepath.Join(t.TempDir(), "pubring.gpg")
		var buf bytes.Buffer
		if err := k.Entity.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ring, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		mk := pgp.NewMasterKeyFromFingerprint(k.Fingerprint)
		pgp.PubRing(ring).ApplyToMasterKey(mk)
		if err := mk.Encrypt(dataKey); err != nil {
			t.Fatalf("failed to encrypt the data key for %s: %v", k.Fingerprint, err)
		}
		return mk
	}
}

// Armor writes an entity's private key (or its public key only) armored.
func Armor(t testing.TB, e *openpgp.Entity, private bool) string {
	t.Helper()
	var buf bytes.Buffer
	typ := openpgp.PublicKeyType
	if private {
		typ = openpgp.PrivateKeyType
	}
	w, err := armor.Encode(&buf, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if private {
		err = e.SerializePrivateWithoutSigning(w, nil)
	} else {
		err = e.Serialize(w)
	}
	if err != nil {
		t.Fatalf("failed to serialize the OpenPGP key: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
