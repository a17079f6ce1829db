package workspace

import (
	"fmt"
	"time"

	gogit "github.com/go-git/go-git/v5"
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

// Commit stores a commit of tree on parent with message, signed with signer (an
// OpenPGPSigner or an SSHSigner) when it is not nil, and returns its hash.
func (r *Repo) Commit(tree, parent plumbing.Hash, author Author, message string, signer gogit.Signer) (plumbing.Hash, error) {
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
		sig, err := signer.Sign(rd)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("failed to sign the commit: %w", err)
		}
		// The gpgsig header holds the armored signature, OpenPGP or SSH alike.
		c.PGPSignature = string(sig)
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
