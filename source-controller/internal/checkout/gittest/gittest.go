// Package gittest makes signed Git commits and tags for the tests of signature verification.
package gittest

import (
	"bytes"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

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
