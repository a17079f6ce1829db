package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Author is who writes a commit (as author and committer), and when.
type Author struct {
	// Name and Email are the identity.
	Name, Email string
	// When is the time of the commit.
	When time.Time
}

// Commit stores a commit of tree on parent with message, signed with signer when it is not
// nil, and returns its hash.
func (r *Repo) Commit(tree, parent plumbing.Hash, author Author, message string, signer *openpgp.Entity) (plumbing.Hash, error) {
	sig := object.Signature{Name: author.Name, Email: author.Email, When: author.When}
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: tree, ParentHashes: []plumbing.Hash{parent}}
	if signer != nil {
		unsigned := &plumbing.MemoryObject{}
		if err := c.EncodeWithoutSignature(unsigned); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("failed to encode the commit: %w", err)
		}
		rd, err := unsigned.Reader()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("failed to encode the commit: %w", err)
		}
		var armored bytes.Buffer
		if err := openpgp.ArmoredDetachSign(&armored, signer, rd, nil); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("failed to sign the commit: %w", err)
		}
		c.PGPSignature = armored.String()
	}
	obj := r.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("failed to encode the commit: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("failed to store the commit: %w", err)
	}
	return h, nil
}

// SigningKey reads the OpenPGP key that signs commits from an ASCII-armored key ring (the
// first entity with a private key), decrypting it with passphrase when it is encrypted.
// Errors never quote key material.
func SigningKey(armored, passphrase []byte) (*openpgp.Entity, error) {
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("failed to read the signing key: %w", err)
	}
	for _, e := range ring {
		if e.PrivateKey == nil {
			continue
		}
		if e.PrivateKey.Encrypted {
			if len(passphrase) == 0 {
				return nil, errors.New("failed to read the signing key: it is encrypted and the secret has no 'passphrase'")
			}
			if err := e.DecryptPrivateKeys(passphrase); err != nil {
				return nil, errors.New("failed to decrypt the signing key: wrong passphrase")
			}
		}
		return e, nil
	}
	return nil, errors.New("failed to read the signing key: the key ring holds no private key")
}
