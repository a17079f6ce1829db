package checkout

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/ssh"
)

// SSH signatures, as git writes them with gpg.format=ssh: the armored SSHSIG format of
// OpenSSH's PROTOCOL.sshsig, made by `ssh-keygen -Y sign -n git`.
const (
	// sshSigMagic starts both the signature blob and the data that is signed.
	sshSigMagic = "SSHSIG"
	// sshSigVersion is the only version of the format.
	sshSigVersion = 1
	// sshSigNamespace is the namespace git signs commits and tags in.
	sshSigNamespace = "git"
	// sshSigPEMType is the type of the armor's PEM block.
	sshSigPEMType = "SSH SIGNATURE"
)

// sshSignature is the blob of an armored SSH signature.
type sshSignature struct {
	Magic     [6]byte
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// sshSignedData is what the key signed: the message's hash in its namespace.
type sshSignedData struct {
	Magic     [6]byte
	Namespace string
	Reserved  string
	HashAlg   string
	Hash      []byte
}

// sshKey is a trusted SSH public key and the Secret key it came from.
type sshKey struct {
	key    ssh.PublicKey
	source string
}

// parseSSHKeys reads the public keys of an authorized_keys or allowed_signers document (one
// key a line, with options or principals before it; blank lines and # comments skipped).
func parseSSHKeys(source string, doc []byte) ([]sshKey, error) {
	var keys []sshKey
	for n, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if _, rest, ok := strings.Cut(line, " "); err != nil && ok {
			// An allowed_signers line starts with the principals.
			pub, _, _, _, err = ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
		}
		if err != nil {
			return nil, fmt.Errorf("failed to parse the SSH public key on line %d of '%s': %w", n+1, source, err)
		}
		keys = append(keys, sshKey{key: pub, source: source})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("failed to parse '%s': it holds no SSH public key", source)
	}
	return keys, nil
}

// verifySSH checks the armored SSH signature of payload and returns the SHA256 fingerprint of
// the trusted key that made it.
func verifySSH(armored string, payload []byte, keys []sshKey) (string, error) {
	sig, err := parseSSHSignature(armored)
	if err != nil {
		return "", err
	}
	signer, err := ssh.ParsePublicKey(sig.PublicKey)
	if err != nil {
		return "", fmt.Errorf("failed to parse the public key of the SSH signature: %w", err)
	}
	trusted := false
	for _, k := range keys {
		if bytes.Equal(k.key.Marshal(), signer.Marshal()) {
			trusted = true
			break
		}
	}
	fingerprint := ssh.FingerprintSHA256(signer)
	if !trusted {
		return "", fmt.Errorf("the SSH key '%s' that signed it is not trusted", fingerprint)
	}
	if err := checkSSHSignature(sig, signer, payload); err != nil {
		return "", err
	}
	return fingerprint, nil
}

// parseSSHSignature reads the blob of an armored SSH signature made in git's namespace.
func parseSSHSignature(armored string) (*sshSignature, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(armored)))
	if block == nil || block.Type != sshSigPEMType {
		return nil, errors.New("failed to read the SSH signature: it is not an armored SSH signature")
	}
	sig := &sshSignature{}
	if err := ssh.Unmarshal(block.Bytes, sig); err != nil {
		return nil, fmt.Errorf("failed to read the SSH signature: %w", err)
	}
	if string(sig.Magic[:]) != sshSigMagic || sig.Version != sshSigVersion {
		return nil, fmt.Errorf("failed to read the SSH signature: unknown format %q version %d", sig.Magic[:], sig.Version)
	}
	if sig.Namespace != sshSigNamespace {
		return nil, fmt.Errorf("the SSH signature was made for namespace '%s', not '%s'", sig.Namespace, sshSigNamespace)
	}
	return sig, nil
}

// checkSSHSignature checks that signer signed payload with sig.
func checkSSHSignature(sig *sshSignature, signer ssh.PublicKey, payload []byte) error {
	var h hash.Hash
	switch sig.HashAlg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return fmt.Errorf("the SSH signature uses hash algorithm '%s': want sha256 or sha512", sig.HashAlg)
	}
	h.Write(payload)
	signed := sshSignedData{Namespace: sig.Namespace, Reserved: sig.Reserved, HashAlg: sig.HashAlg, Hash: h.Sum(nil)}
	copy(signed.Magic[:], sshSigMagic)
	s := &ssh.Signature{}
	if err := ssh.Unmarshal(sig.Signature, s); err != nil {
		return fmt.Errorf("failed to read the SSH signature: %w", err)
	}
	// PROTOCOL.sshsig rules out SHA-1 RSA signatures.
	if s.Format == ssh.KeyAlgoRSA {
		return errors.New("the SSH signature is an ssh-rsa (SHA-1) signature, which the format does not allow")
	}
	if err := signer.Verify(ssh.Marshal(signed), s); err != nil {
		return fmt.Errorf("the SSH signature does not match: %w", err)
	}
	return nil
}
