// Package gittest makes signed Git commits and tags for the tests of signature verification.
package gittest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// NewPGPKey returns a new PGP entity and its armored public key.
func NewPGPKey(tb testing.TB) (*openpgp.Entity, string) {
	tb.Helper()
	e, err := openpgp.NewEntity("Ferry Test", "", "test@example.com", nil)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return e, buf.String()
}

// SignedCommit commits on master of the repository name an empty change signed by key
// (unsigned when nil), tags it with an annotated tag signed by key, pushes both and returns
// the commit hash.
func SignedCommit(tb testing.TB, repos *gitserver.Repos, name, tag string, key *openpgp.Entity) string {
	tb.Helper()
	r, err := gogit.PlainOpen(repos.WorkDir(name))
	if err != nil {
		tb.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	sig := &object.Signature{Name: "Ferry Test", Email: "test@example.com", When: time.Now()}
	hash, err := wt.Commit("signed "+tag, &gogit.CommitOptions{AllowEmptyCommits: true, Author: sig, SignKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := r.CreateTag(tag, hash, &gogit.CreateTagOptions{Tagger: sig, Message: tag, SignKey: key}); err != nil {
		tb.Fatal(err)
	}
	repos.Push(tb, name, "HEAD", "refs/heads/master")
	repos.Push(tb, name, "refs/tags/"+tag, "refs/tags/"+tag)
	return hash.String()
}

// SSH key types NewSSHKey makes.
const (
	SSHEd25519 = "ed25519"
	SSHECDSA   = "ecdsa"
	SSHRSA     = "rsa"
)

// NewSSHKey writes a new SSH private key of type kind (SSHEd25519, SSHECDSA or SSHRSA) into a
// temporary file, as git's user.signingkey takes it, and returns the file and the public key
// as an authorized_keys line.
func NewSSHKey(tb testing.TB, kind string) (keyFile, authorized string) {
	tb.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case SSHECDSA:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case SSHRSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		tb.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "ferry test")
	if err != nil {
		tb.Fatal(err)
	}
	keyFile = filepath.Join(tb.TempDir(), "id_"+kind)
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		tb.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return keyFile, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " test@example.com"
}

// SSHSignedCommit commits on master of the repository name an empty change and tags it with
// an annotated tag, both signed by git itself with the SSH key in keyFile (gpg.format ssh,
// which runs ssh-keygen -Y sign), pushes both and returns the commit hash.
func SSHSignedCommit(tb testing.TB, repos *gitserver.Repos, name, tag, keyFile string) string {
	tb.Helper()
	work := repos.WorkDir(name)
	sign := []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + keyFile}
	gitserver.Git(tb, work, append(sign, "commit", "-q", "-S", "--allow-empty", "-m", "signed "+tag)...)
	gitserver.Git(tb, work, append(sign, "tag", "-s", "-m", tag, tag)...)
	repos.Push(tb, name, "HEAD", "refs/heads/master")
	repos.Push(tb, name, "refs/tags/"+tag, "refs/tags/"+tag)
	return gitserver.Git(tb, work, "rev-parse", "HEAD")
}
