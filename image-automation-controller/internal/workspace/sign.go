package workspace

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"golang.org/x/crypto/ssh"
)

// KeyError is a signing key that cannot sign: unreadable, encrypted without a passphrase,
// decrypted with a wrong one, or of an algorithm Ferry does not sign with. Only a new key
// mends it. Its message never quotes key material.
type KeyError struct {
	msg string
}

// Error returns the message.
func (e *KeyError) Error() string { return e.msg }

// keyError returns a KeyError with the message.
func keyError(msg string) error { return &KeyError{msg: msg} }

// openPGPSigner signs with an OpenPGP key: an armored detached signature, as `git commit -S`
// writes with gpg.
type openPGPSigner struct {
	entity *openpgp.Entity
}

// Sign returns the armored OpenPGP signature of message.
func (s openPGPSigner) Sign(message io.Reader) ([]byte, error) {
	var armored bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&armored, s.entity, message, nil); err != nil {
		return nil, err
	}
	return armored.Bytes(), nil
}

// OpenPGPSigner returns the signer of the OpenPGP key in an ASCII-armored key ring (the
// first entity with a private key), decrypting it with passphrase when it is encrypted.
// Errors about the key are KeyErrors.
func OpenPGPSigner(armored, passphrase []byte) (gogit.Signer, error) {
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, keyError(fmt.Sprintf("failed to read the signing key: %v", err))
	}
	for _, e := range ring {
		if e.PrivateKey == nil {
			continue
		}
		if e.PrivateKey.Encrypted {
			if len(passphrase) == 0 {
				return nil, keyError("failed to read the signing key: it is encrypted and the secret has no 'passphrase'")
			}
			if err := e.DecryptPrivateKeys(passphrase); err != nil {
				return nil, keyError("failed to decrypt the signing key: wrong passphrase")
			}
		}
		return openPGPSigner{entity: e}, nil
	}
	return nil, keyError("failed to read the signing key: the key ring holds no private key")
}

// SSH signatures as git makes them with gpg.format=ssh (`ssh-keygen -Y sign -n git`): the
// armored SSHSIG format of OpenSSH's PROTOCOL.sshsig.
const (
	// sshSigVersion is the version of the SSHSIG format.
	sshSigVersion = 1
	// sshSigNamespace is the namespace git signs commits in.
	sshSigNamespace = "git"
	// sshSigHash is the hash of the message that is signed, the one ssh-keygen uses.
	sshSigHash = "sha512"
	// sshSigArmor is the type of the armor's PEM block.
	sshSigArmor = "SSH SIGNATURE"
	// minRSABits is the smallest RSA key signed with.
	minRSABits = 2048
)

// sshSigMagic starts both the signature blob and the data that is signed.
var sshSigMagic = [6]byte{'S', 'S', 'H', 'S', 'I', 'G'}

// sshSigSigned is what the key signs: the message's hash in its namespace.
type sshSigSigned struct {
	Magic     [6]byte
	Namespace string
	Reserved  string
	HashAlg   string
	Hash      []byte
}

// sshSigBlob is the signature, armored into the commit's gpgsig header.
type sshSigBlob struct {
	Magic     [6]byte
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// sshSigner signs with an SSH key.
type sshSigner struct {
	key ssh.Signer
}

// Sign returns the armored SSH signature of message in the git namespace.
func (s sshSigner) Sign(message io.Reader) ([]byte, error) {
	h := sha512.New()
	if _, err := io.Copy(h, message); err != nil {
		return nil, err
	}
	signed := ssh.Marshal(sshSigSigned{Magic: sshSigMagic, Namespace: sshSigNamespace, HashAlg: sshSigHash, Hash: h.Sum(nil)})
	var sig *ssh.Signature
	var err error
	if as, ok := s.key.(ssh.AlgorithmSigner); ok && s.key.PublicKey().Type() == ssh.KeyAlgoRSA {
		// ssh-keygen refuses the SHA-1 signatures of ssh-rsa: sign with rsa-sha2-512 as it does.
		sig, err = as.SignWithAlgorithm(nil, signed, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = s.key.Sign(nil, signed)
	}
	if err != nil {
		return nil, err
	}
	blob := ssh.Marshal(sshSigBlob{Magic: sshSigMagic, Version: sshSigVersion, PublicKey: s.key.PublicKey().Marshal(),
		Namespace: sshSigNamespace, HashAlg: sshSigHash, Signature: ssh.Marshal(sig)})
	return pem.EncodeToMemory(&pem.Block{Type: sshSigArmor, Bytes: blob}), nil
}

// SSHSigner returns the signer of a PEM-encoded SSH private key (OpenSSH's format, or
// PKCS#1, PKCS#8 and SEC 1), decrypting it with passphrase when it is encrypted. It signs
// with ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa keys of 2048 bits or more.
// Errors about the key are KeyErrors.
func SSHSigner(key, passphrase []byte) (gogit.Signer, error) {
	signer, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		if len(passphrase) == 0 {
			return nil, keyError("failed to read the SSH signing key: it is encrypted and the secret has no 'password'")
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(key, passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, keyError("failed to decrypt the SSH signing key: wrong password")
		}
		if err != nil {
			return nil, keyError("failed to decrypt the SSH signing key: it is not a private key Ferry can decrypt")
		}
	case err != nil:
		// The parser's own errors may describe the key's bytes: say only what is expected.
		return nil, keyError("failed to read the SSH signing key: it is not a PEM-encoded SSH private key " +
			"(such as '-----BEGIN OPENSSH PRIVATE KEY-----')")
	}
	if err := checkSSHAlgorithm(signer.PublicKey()); err != nil {
		return nil, err
	}
	return sshSigner{key: signer}, nil
}

// checkSSHAlgorithm refuses keys git users cannot rely on: DSA, short RSA keys, and any other
// type than ed25519, ECDSA and RSA.
func checkSSHAlgorithm(pub ssh.PublicKey) error {
	switch pub.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		return nil
	case ssh.KeyAlgoRSA:
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return keyError("failed to read the SSH signing key: its RSA public key cannot be read")
		}
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); !ok || rk.N.BitLen() < minRSABits {
			return keyError(fmt.Sprintf("the SSH signing key is an RSA key shorter than %d bits: use a longer one or ssh-ed25519", minRSABits))
		}
		return nil
	}
	return keyError(fmt.Sprintf("the SSH signing key is of type %s: Ferry signs with ssh-ed25519, ecdsa-sha2-nistp256, "+
		"ecdsa-sha2-nistp384, ecdsa-sha2-nistp521 or ssh-rsa", pub.Type()))
}
