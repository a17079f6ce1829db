package checkout

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/source-controller/internal/checkout/gittest"
)

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
	tests := []struct {
		name   string
		verify func() (string, error)
		want   string
	}{
		{name: "signed commit", verify: func() (string, error) { return VerifyCommit(signedDir, signed, []string{otherPub, pub}) }},
		{name: "signed tag", verify: func() (string, error) { return VerifyTag(signedDir, "refs/tags/v1.0.0", []string{pub}) }},
		{name: "unsigned commit", verify: func() (string, error) { return VerifyCommit(unsignedDir, unsigned, []string{pub}) }, want: "is not signed"},
		{name: "unsigned tag", verify: func() (string, error) { return VerifyTag(unsignedDir, "refs/tags/v2.0.0", []string{pub}) }, want: "is not signed"},
		{name: "untrusted key", verify: func() (string, error) { return VerifyCommit(signedDir, signed, []string{otherPub}) }, want: "not signed by any trusted key"},
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

// checkoutTag checks out the tag of the repository at url into a temporary directory.
func checkoutTag(t *testing.T, url, tag string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Clone(testContext(t), url, nil, &sourcev1.GitRepositoryRef{Tag: tag}, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKeyRings(t *testing.T) {
	got, err := KeyRings(map[string][]byte{"b.asc": []byte("B"), "a.asc": []byte("A"), "x.sshpub": []byte("S")})
	if err != nil || strings.Join(got, ",") != "A,B" {
		t.Fatalf("KeyRings = %v, %v", got, err)
	}
	if _, err := KeyRings(map[string][]byte{"x.pub": []byte("S")}); err == nil || !strings.Contains(err.Error(), "no PGP public keys") {
		t.Fatalf("KeyRings without .asc keys: error = %v", err)
	}
	_, err = KeyRings(map[string][]byte{"x.sshpub": []byte("S")})
	if err == nil || !strings.Contains(err.Error(), "SSH signature verification is not supported by Ferry") {
		t.Fatalf("KeyRings with SSH keys only: error = %v", err)
	}
}

func TestCheckNotSSH(t *testing.T) {
	ssh := "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
	err := checkNotSSH("commit 'abc'", ssh)
	if err == nil || !errors.Is(err, ErrVerificationFailed) || !strings.Contains(err.Error(), "commit 'abc' has an SSH signature") {
		t.Fatalf("checkNotSSH(ssh) = %v", err)
	}
	if err := checkNotSSH("commit 'abc'", "-----BEGIN PGP SIGNATURE-----\n"); err != nil {
		t.Fatalf("checkNotSSH(pgp) = %v", err)
	}
}
