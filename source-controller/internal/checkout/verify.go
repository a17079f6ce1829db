package checkout

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// ErrVerificationFailed is returned when a signature is missing or made by none of the
// trusted keys.
var ErrVerificationFailed = errors.New("signature verification failed")

// Signature armors, which tell an OpenPGP signature from an SSH one (git's gpg.format).
const (
	sshSignatureHeader = "-----BEGIN SSH SIGNATURE-----"
	pgpSignatureHeader = "-----BEGIN PGP SIGNATURE-----"
)

// Suffixes of the Secret keys that hold trusted keys: armored OpenPGP public keys, and SSH
// public keys in the authorized_keys (or allowed_signers) format.
var (
	pgpKeySuffixes = []string{".asc"}
	sshKeySuffixes = []string{".pub", ".sshpub", "authorized_keys", "allowed_signers"}
)

// TrustedKeys are the public keys signatures are verified against.
type TrustedKeys struct {
	// pgp are armored OpenPGP key rings.
	pgp []string
	// ssh are SSH public keys.
	ssh []sshKey
}

// ParseTrustedKeys reads the trusted keys of a Secret's data: the OpenPGP key rings under keys
// ending in .asc, and the SSH public keys (one a line, as in authorized_keys) under keys
// ending in .pub or .sshpub, or named authorized_keys or allowed_signers. Keys are read in
// key order; a value that does not parse is an error naming its key, never its content.
func ParseTrustedKeys(data map[string][]byte) (TrustedKeys, error) {
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	var keys TrustedKeys
	for _, k := range names {
		switch {
		case hasAnySuffix(k, pgpKeySuffixes):
			keys.pgp = append(keys.pgp, string(data[k]))
		case hasAnySuffix(k, sshKeySuffixes):
			parsed, err := parseSSHKeys(k, data[k])
			if err != nil {
				return TrustedKeys{}, fmt.Errorf("failed to read verification keys: %w", err)
			}
			keys.ssh = append(keys.ssh, parsed...)
		}
	}
	if len(keys.pgp) == 0 && len(keys.ssh) == 0 {
		return TrustedKeys{}, errors.New("failed to read verification keys: the secret has no PGP public keys (keys ending in .asc) and no SSH public keys (keys ending in .pub)")
	}
	return keys, nil
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// VerifyCommit checks the OpenPGP or SSH signature of the commit hash in the repository
// checked out at dir against the trusted keys, and returns the key that made it: an OpenPGP
// fingerprint, or an SSH key's SHA256 fingerprint.
func VerifyCommit(dir, hash string, keys TrustedKeys) (string, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", fmt.Errorf("failed to open repository: %w", err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return "", fmt.Errorf("failed to read commit '%s': %w", hash, err)
	}
	what := fmt.Sprintf("commit '%s'", hash)
	if c.PGPSignature == "" {
		return "", fmt.Errorf("%s is not signed: %w", what, ErrVerificationFailed)
	}
	return keys.verify(what, c.PGPSignature, c.Verify, func() (plumbing.EncodedObject, error) {
		o := &plumbing.MemoryObject{}
		return o, c.EncodeWithoutSignature(o)
	})
}

// VerifyTag checks the OpenPGP or SSH signature of the annotated tag ref (refs/tags/<name>)
// in the repository checked out at dir against the trusted keys, and returns the key that
// made it.
func VerifyTag(dir, ref string, keys TrustedKeys) (string, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", fmt.Errorf("failed to open repository: %w", err)
	}
	r, err := repo.Reference(plumbing.ReferenceName(ref), true)
	if err != nil {
		return "", fmt.Errorf("failed to find tag '%s': %w", ref, err)
	}
	what := fmt.Sprintf("tag '%s'", ref)
	tag, err := repo.TagObject(r.Hash())
	if err != nil {
		return "", fmt.Errorf("%s is not an annotated tag: %w", what, ErrVerificationFailed)
	}
	if tag.PGPSignature == "" {
		return "", fmt.Errorf("%s is not signed: %w", what, ErrVerificationFailed)
	}
	return keys.verify(what, tag.PGPSignature, tag.Verify, func() (plumbing.EncodedObject, error) {
		o := &plumbing.MemoryObject{}
		return o, tag.EncodeWithoutSignature(o)
	})
}

// verify checks signature, an OpenPGP or SSH one, of what: OpenPGP signatures with
// verifyPGP, SSH ones over the object encoded without its signature.
func (keys TrustedKeys) verify(what, signature string, verifyPGP func(string) (*openpgp.Entity, error),
	unsigned func() (plumbing.EncodedObject, error)) (string, error) {
	switch armor := strings.TrimSpace(signature); {
	case strings.HasPrefix(armor, sshSignatureHeader):
		if len(keys.ssh) == 0 {
			return "", fmt.Errorf("%s has an SSH signature and the secret has no SSH public keys (keys ending in .pub): %w", what, ErrVerificationFailed)
		}
		o, err := unsigned()
		if err != nil {
			return "", fmt.Errorf("failed to encode %s: %w", what, err)
		}
		payload, err := readAll(o)
		if err != nil {
			return "", fmt.Errorf("failed to encode %s: %w", what, err)
		}
		fingerprint, err := verifySSH(armor, payload, keys.ssh)
		if err != nil {
			return "", fmt.Errorf("%s is not signed by any trusted key: %w: %w", what, err, ErrVerificationFailed)
		}
		return fingerprint, nil
	case strings.HasPrefix(armor, pgpSignatureHeader):
		if len(keys.pgp) == 0 {
			return "", fmt.Errorf("%s has a PGP signature and the secret has no PGP public keys (keys ending in .asc): %w", what, ErrVerificationFailed)
		}
		for _, ring := range keys.pgp {
			if e, err := verifyPGP(ring); err == nil && e != nil && e.PrimaryKey != nil {
				return strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint)), nil
			}
		}
		return "", fmt.Errorf("%s is not signed by any trusted key: %w", what, ErrVerificationFailed)
	}
	return "", fmt.Errorf("%s has a signature that is neither OpenPGP nor SSH (X.509 signatures are not verified): %w", what, ErrVerificationFailed)
}

// readAll returns the content of an encoded object.
func readAll(o plumbing.EncodedObject) ([]byte, error) {
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
