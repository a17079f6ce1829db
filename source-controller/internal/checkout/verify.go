package checkout

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// ErrVerificationFailed is returned when a signature is missing or made by none of the
// trusted keys.
var ErrVerificationFailed = errors.New("signature verification failed")

// sshSignatureHeader starts the armor of an SSH signature (git's gpg.format=ssh).
const sshSignatureHeader = "-----BEGIN SSH SIGNATURE-----"

// errSSHUnsupported says why SSH signatures and keys never verify.
var errSSHUnsupported = errors.New("SSH signature verification is not supported by Ferry: sign with PGP and put the public keys under keys ending in .asc")

// KeyRings returns the armored PGP key rings of a Secret's data: the values of the keys
// ending in .asc, in key order. SSH public keys (.sshpub) are not used: a Secret holding only
// those is refused with a message saying so.
func KeyRings(data map[string][]byte) ([]string, error) {
	var names []string
	ssh := false
	for k := range data {
		if strings.HasSuffix(k, ".asc") {
			names = append(names, k)
		}
		ssh = ssh || strings.HasSuffix(k, ".sshpub")
	}
	if len(names) == 0 && ssh {
		return nil, fmt.Errorf("failed to read verification keys: the secret has only SSH public keys (keys ending in .sshpub): %w", errSSHUnsupported)
	}
	if len(names) == 0 {
		return nil, errors.New("failed to read verification keys: the secret has no PGP public keys (keys ending in .asc)")
	}
	sort.Strings(names)
	rings := make([]string, 0, len(names))
	for _, k := range names {
		rings = append(rings, string(data[k]))
	}
	return rings, nil
}

// VerifyCommit checks the PGP signature of the commit hash in the repository checked out at
// dir against the key rings, and returns the fingerprint of the key that made it.
func VerifyCommit(dir, hash string, keyRings []string) (string, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", fmt.Errorf("failed to open repository: %w", err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return "", fmt.Errorf("failed to read commit '%s': %w", hash, err)
	}
	if c.PGPSignature == "" {
		return "", fmt.Errorf("commit '%s' is not signed: %w", hash, ErrVerificationFailed)
	}
	if err := checkNotSSH(fmt.Sprintf("commit '%s'", hash), c.PGPSignature); err != nil {
		return "", err
	}
	return verifyWith(keyRings, fmt.Sprintf("commit '%s'", hash), c.Verify)
}

// VerifyTag checks the PGP signature of the annotated tag ref (refs/tags/<name>) in the
// repository checked out at dir against the key rings, and returns the key's fingerprint.
func VerifyTag(dir, ref string, keyRings []string) (string, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", fmt.Errorf("failed to open repository: %w", err)
	}
	r, err := repo.Reference(plumbing.ReferenceName(ref), true)
	if err != nil {
		return "", fmt.Errorf("failed to find tag '%s': %w", ref, err)
	}
	tag, err := repo.TagObject(r.Hash())
	if err != nil {
		return "", fmt.Errorf("tag '%s' is not an annotated tag: %w", ref, ErrVerificationFailed)
	}
	if tag.PGPSignature == "" {
		return "", fmt.Errorf("tag '%s' is not signed: %w", ref, ErrVerificationFailed)
	}
	if err := checkNotSSH(fmt.Sprintf("tag '%s'", ref), tag.PGPSignature); err != nil {
		return "", err
	}
	return verifyWith(keyRings, fmt.Sprintf("tag '%s'", ref), tag.Verify)
}

// checkNotSSH fails for an SSH signature of what, which no PGP key can verify.
func checkNotSSH(what, signature string) error {
	if strings.HasPrefix(strings.TrimSpace(signature), sshSignatureHeader) {
		return fmt.Errorf("%s has an SSH signature: %w: %w", what, errSSHUnsupported, ErrVerificationFailed)
	}
	return nil
}

// verifyWith tries each key ring in turn.
func verifyWith(keyRings []string, what string, verify func(string) (*openpgp.Entity, error)) (string, error) {
	for _, ring := range keyRings {
		if e, err := verify(ring); err == nil && e != nil && e.PrimaryKey != nil {
			return strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint)), nil
		}
	}
	return "", fmt.Errorf("%s is not signed by any trusted key: %w", what, ErrVerificationFailed)
}
