package decrypt

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/getsops/sops/v3/pgp"
)

// namedKey is an entry of the Secret.
type namedKey struct {
	name string
	data []byte
}

// pgpKeys are the OpenPGP private keys of a Secret.
type pgpKeys struct {
	// fingerprints are the upper-case hex fingerprints of the primary keys.
	fingerprints []string
	// ring is the keyring in binary form, as sops' OpenPGP path reads it from a file.
	ring []byte
}

// parsePGPKeys reads armored private keys. Keys protected by a passphrase are refused: the
// sops key source would prompt for it on the terminal or ask a gpg-agent.
func parsePGPKeys(entries []namedKey) (*pgpKeys, error) {
	keys := &pgpKeys{}
	var ring bytes.Buffer
	for _, e := range entries {
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(e.data))
		if err != nil || len(list) == 0 {
			return nil, fmt.Errorf("failed to parse the OpenPGP keys in %q: not an armored key", e.name)
		}
		for _, entity := range list {
			fp := strings.ToUpper(hex.EncodeToString(entity.PrimaryKey.Fingerprint))
			if entity.PrivateKey == nil {
				return nil, fmt.Errorf("the OpenPGP key %s in %q has no private key", fp, e.name)
			}
			if encryptedKey(entity) {
				return nil, fmt.Errorf("the OpenPGP key %s in %q is protected by a passphrase, which Ferry cannot use", fp, e.name)
			}
			if err := entity.SerializePrivateWithoutSigning(&ring, nil); err != nil {
				return nil, fmt.Errorf("failed to read the OpenPGP key %s in %q", fp, e.name)
			}
			keys.fingerprints = append(keys.fingerprints, fp)
		}
	}
	keys.ring = ring.Bytes()
	return keys, nil
}

// encryptedKey reports whether the primary key or a subkey of entity is encrypted.
func encryptedKey(entity *openpgp.Entity) bool {
	if entity.PrivateKey.Encrypted {
		return true
	}
	for _, sub := range entity.Subkeys {
		if sub.PrivateKey != nil && sub.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// has reports whether the keys hold the primary key of fingerprint (or of a long key ID,
// which is a suffix of a fingerprint).
func (k *pgpKeys) has(fingerprint string) bool {
	want := strings.ToUpper(strings.ReplaceAll(fingerprint, " ", ""))
	for _, fp := range k.fingerprints {
		if want != "" && strings.HasSuffix(fp, want) {
			return true
		}
	}
	return false
}

// decrypt decrypts a data key encrypted for fingerprint with sops' PGP key source. The
// keyring is written for this call only into a new private directory, which is also the
// GnuPG home of the key source's gpg fallback, so that no keyring is shared between
// Kustomizations; the directory is removed before returning.
func (k *pgpKeys) decrypt(ctx context.Context, fingerprint string, ciphertext []byte) ([]byte, error) {
	if k == nil || !k.has(fingerprint) {
		return nil, fmt.Errorf("no OpenPGP key of the decryption Secret (entries ending in %s) has the fingerprint %s",
			PGPKeySuffix, fingerprint)
	}
	home, err := os.MkdirTemp("", "kustomize-controller-gnupg-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a keyring directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(home) }()
	ring := filepath.Join(home, "secring.gpg")
	if err := os.WriteFile(ring, k.ring, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the keyring: %w", err)
	}
	mk := pgp.NewMasterKeyFromFingerprint(fingerprint)
	mk.EncryptedKey = string(ciphertext)
	pgp.GnuPGHome(home).ApplyToMasterKey(mk)
	pgp.SecRing(ring).ApplyToMasterKey(mk)
	pgp.PubRing(ring).ApplyToMasterKey(mk)
	plain, err := mk.DecryptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("the OpenPGP key %s failed to decrypt the data key", fingerprint)
	}
	return plain, nil
}
