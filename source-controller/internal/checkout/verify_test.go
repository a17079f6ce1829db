package checkout

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/source-controller/internal/checkout/gittest"
)

// trusted parses a Secret's data into trusted keys, failing the test on error.
func trusted(t *testing.T, data map[string]string) TrustedKeys {
	t.Helper()
	raw := map[string][]byte{}
	for k, v := range data {
		raw[k] = []byte(v)
	}
	keys, err := ParseTrustedKeys(raw)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestVerify(t *testing.T) {
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	key, pub := gittest.NewPGPKey(t)
	_, otherPub := gittest.NewPGPKey(t)
	signed := gittest.SignedCommit(t, repos, "app", "v1.0.0", key)
	unsigned := gittest.SignedCommit(t, repos, "app", "v2.0.0", nil)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	signedDir := checkoutTag(t, srv.RepoURL("app"), "v1.0.0")
	unsignedDir := checkoutTag(t, srv.RepoURL("app"), "v2.0.0")
	fingerprint := fmt.Sprintf("%X", key.PrimaryKey.Fingerprint)
	both := trusted(t, map[string]string{"a.asc": otherPub, "b.asc": pub})
	only := trusted(t, map[string]string{"a.asc": pub})
	other := trusted(t, map[string]string{"a.asc": otherPub})
	tests := []struct {
		name   string
		verify func() (string, error)
		want   string
	}{
		{name: "signed commit", verify: func() (string, error) { return VerifyCommit(signedDir, signed, both) }},
		{name: "signed tag", verify: func() (string, error) { return VerifyTag(signedDir, "refs/tags/v1.0.0", only) }},
		{name: "unsigned commit", verify: func() (string, error) { return VerifyCommit(unsignedDir, unsigned, only) }, want: "is not signed"},
		{name: "unsigned tag", verify: func() (string, error) { return VerifyTag(unsignedDir, "refs/tags/v2.0.0", only) }, want: "is not signed"},
		{name: "untrusted key", verify: func() (string, error) { return VerifyCommit(signedDir, signed, other) }, want: "not signed by any trusted key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.verify()
			if tt.want == "" {
				if err != nil || got != fingerprint {
					t.Fatalf("verify = %q, %v; want %s", got, err, fingerprint)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrVerificationFailed) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestVerifySSH verifies commits and tags git signed with SSH keys of each type (gpg.format
// ssh, signed by ssh-keygen): the signer's key verifies them, another key, a PGP-only
// Secret or a tampered signature does not.
func TestVerifySSH(t *testing.T) {
	repos := gitserver.NewRepos(t)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	_, otherKey := gittest.NewSSHKey(t, gittest.SSHEd25519)
	_, pgpPub := gittest.NewPGPKey(t)
	for _, kind := range []string{gittest.SSHEd25519, gittest.SSHECDSA, gittest.SSHRSA} {
		t.Run(kind, func(t *testing.T) {
			repos.Create(t, kind, map[string]string{"a.yaml": "a\n"})
			keyFile, pub := gittest.NewSSHKey(t, kind)
			hash := gittest.SSHSignedCommit(t, repos, kind, "v1.0.0", keyFile)
			dir := checkoutTag(t, srv.RepoURL(kind), "v1.0.0")
			keys := trusted(t, map[string]string{"team.pub": "# signers\n" + otherKey + "\n" + pub + "\n"})
			got, err := VerifyCommit(dir, hash, keys)
			if err != nil || !strings.HasPrefix(got, "SHA256:") {
				t.Fatalf("VerifyCommit = %q, %v", got, err)
			}
			if tagKey, err := VerifyTag(dir, "refs/tags/v1.0.0", keys); err != nil || tagKey != got {
				t.Fatalf("VerifyTag = %q, %v; want %s", tagKey, err, got)
			}
			_, err = VerifyCommit(dir, hash, trusted(t, map[string]string{"other.pub": otherKey}))
			if !errors.Is(err, ErrVerificationFailed) || !strings.Contains(err.Error(), "is not trusted") {
				t.Fatalf("VerifyCommit with another key: %v", err)
			}
			_, err = VerifyTag(dir, "refs/tags/v1.0.0", trusted(t, map[string]string{"a.asc": pgpPub}))
			if !errors.Is(err, ErrVerificationFailed) || !strings.Contains(err.Error(), "has an SSH signature and the secret has no SSH public keys") {
				t.Fatalf("VerifyTag with PGP keys only: %v", err)
			}
		})
	}
}

// TestSSHSignatureTampering: a signature over other content, from another namespace or with
// a key swapped in does not verify.
func TestSSHSignatureTampering(t *testing.T) {
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	keyFile, pub := gittest.NewSSHKey(t, gittest.SSHEd25519)
	hash := gittest.SSHSignedCommit(t, repos, "app", "v1.0.0", keyFile)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	dir := checkoutTag(t, srv.RepoURL("app"), "v1.0.0")
	armored, payload := commitSignature(t, dir, hash)
	keys := trusted(t, map[string]string{"a.pub": pub}).ssh
	if _, err := verifySSH(armored, payload, keys); err != nil {
		t.Fatalf("verifySSH of the commit: %v", err)
	}
	if _, err := verifySSH(armored, append(payload, 'x'), keys); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("verifySSH of other content: %v", err)
	}
	sig, err := parseSSHSignature(armored)
	if err != nil {
		t.Fatal(err)
	}
	sig.Namespace = "file"
	if err := checkSSHSignature(sig, keys[0].key, payload); err == nil {
		t.Fatal("a signature claimed for another namespace verified")
	}
	for _, bad := range []string{"", "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"} {
		if _, err := verifySSH(bad, payload, keys); err == nil {
			t.Fatalf("verifySSH(%q) verified", bad)
		}
	}
}

// commitSignature returns the armored signature of commit hash in dir and the commit encoded
// without it.
func commitSignature(t *testing.T, dir, hash string) (string, []byte) {
	t.Helper()
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		t.Fatal(err)
	}
	o := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(o); err != nil {
		t.Fatal(err)
	}
	payload, err := readAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return c.PGPSignature, payload
}

// checkoutTag checks out the tag of the repository at url into a temporary directory.
func checkoutTag(t *testing.T, url, tag string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Clone(testContext(t), url, nil, &sourcev1.GitRepositoryRef{Tag: tag}, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestParseTrustedKeys(t *testing.T) {
	_, pub := gittest.NewSSHKey(t, gittest.SSHEd25519)
	keys := trusted(t, map[string]string{"b.asc": "B", "a.asc": "A", "x.sshpub": pub,
		"allowed_signers": "dev@example.com namespaces=\"git\" " + strings.TrimSuffix(pub, " test@example.com"), "notes.txt": "ignored"})
	if strings.Join(keys.pgp, ",") != "A,B" || len(keys.ssh) != 2 {
		t.Fatalf("ParseTrustedKeys = %d PGP rings %v, %d SSH keys", len(keys.pgp), keys.pgp, len(keys.ssh))
	}
	for _, tc := range []struct {
		data map[string][]byte
		want string
	}{
		{map[string][]byte{"notes.txt": []byte("x")}, "no PGP public keys (keys ending in .asc) and no SSH public keys"},
		{map[string][]byte{"team.pub": []byte("not a key")}, "line 1 of 'team.pub'"},
		{map[string][]byte{"team.pub": []byte("# nothing\n")}, "'team.pub': it holds no SSH public key"},
	} {
		_, err := ParseTrustedKeys(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTrustedKeys(%v): error = %v, want %q", tc.data, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "not a key") {
			t.Errorf("the error names the secret's content: %v", err)
		}
	}
}
