package gitrepository

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/ssh"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/checkout/gittest"
)

// TestVerification checks spec.verify with PGP and SSH keys: signed commits and tags verify
// with SourceVerified=True; unsigned ones, untrusted keys and a Tag mode on a branch fail.
func TestVerification(t *testing.T) {
	repos := gitserver.NewRepos(t)
	repos.Create(t, "signed", map[string]string{"a.yaml": "a\n"})
	repos.Create(t, "unsigned", map[string]string{"a.yaml": "a\n"})
	repos.Create(t, "ssh", map[string]string{"a.yaml": "a\n"})
	key, pub := gittest.NewPGPKey(t)
	_, otherPub := gittest.NewPGPKey(t)
	sshKeyFile, sshPub := gittest.NewSSHKey(t, gittest.SSHEd25519)
	_, otherSSHPub := gittest.NewSSHKey(t, gittest.SSHEd25519)
	signed := gittest.SignedCommit(t, repos, "signed", "v1.0.0", key)
	unsigned := gittest.SignedCommit(t, repos, "unsigned", "v1.0.0", nil)
	sshSigned := gittest.SSHSignedCommit(t, repos, "ssh", "v1.0.0", sshKeyFile)
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	fingerprint := fmt.Sprintf("%X", key.PrimaryKey.Fingerprint)
	sshFingerprint := sshFingerprintOf(t, sshPub)
	tag := &sourcev1.GitRepositoryRef{Tag: "v1.0.0"}
	tests := []struct {
		name    string
		repo    string
		ref     *sourcev1.GitRepositoryRef
		mode    sourcev1.GitVerificationMode
		keys    string
		keyName string // the Secret key of keys; author.asc when empty
		reason  string // empty: verified
		msg     string
		stalled bool
	}{
		{name: "signed head", repo: "signed", mode: sourcev1.ModeGitHEAD, keys: pub,
			msg: fmt.Sprintf("verified signature of commit '%s' with key '%s'", signed, fingerprint)},
		{name: "signed tag and head", repo: "signed", ref: tag, mode: sourcev1.ModeGitTagAndHEAD, keys: pub,
			msg: fmt.Sprintf("verified signature of tag 'v1.0.0' with key '%s' and commit '%s' with key '%s'", fingerprint, signed, fingerprint)},
		{name: "unsigned head", repo: "unsigned", mode: sourcev1.ModeGitHEAD, keys: pub,
			reason: sourcev1.VerificationErrorReason, msg: fmt.Sprintf("commit '%s' is not signed", unsigned)},
		{name: "unsigned tag", repo: "unsigned", ref: tag, mode: sourcev1.ModeGitTag, keys: pub,
			reason: sourcev1.VerificationErrorReason, msg: "tag 'refs/tags/v1.0.0' is not signed"},
		{name: "untrusted key", repo: "signed", mode: sourcev1.ModeGitHEAD, keys: otherPub,
			reason: sourcev1.VerificationErrorReason, msg: "is not signed by any trusted key"},
		{name: "ssh signed tag and head", repo: "ssh", ref: tag, mode: sourcev1.ModeGitTagAndHEAD, keys: otherSSHPub + "\n" + sshPub, keyName: "authors.pub",
			msg: fmt.Sprintf("verified signature of tag 'v1.0.0' with key '%s' and commit '%s' with key '%s'", sshFingerprint, sshSigned, sshFingerprint)},
		{name: "ssh untrusted key", repo: "ssh", mode: sourcev1.ModeGitHEAD, keys: otherSSHPub, keyName: "authors.pub",
			reason: sourcev1.VerificationErrorReason, msg: "is not signed by any trusted key"},
		{name: "ssh signature and pgp keys", repo: "ssh", mode: sourcev1.ModeGitHEAD, keys: pub,
			reason: sourcev1.VerificationErrorReason, msg: "has an SSH signature and the secret has no SSH public keys"},
		{name: "tag mode on a branch", repo: "signed", mode: sourcev1.ModeGitTag, keys: pub,
			reason: sourcev1.VerificationErrorReason, msg: "verification mode 'Tag' needs a tag", stalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, k8s)
			keyName := tt.keyName
			if keyName == "" {
				keyName = "author.asc"
			}
			newSecret(t, ns, "keys", map[string][]byte{keyName: []byte(tt.keys)})
			repo := newRepo(t, ns, "app", srv.RepoURL(tt.repo), func(o *sourcev1.GitRepository) {
				o.Spec.Reference = tt.ref
				o.Spec.Verification = &sourcev1.GitRepositoryVerification{Mode: tt.mode, SecretRef: fluxmeta.LocalObjectReference{Name: "keys"}}
			})
			if tt.reason == "" {
				obj := statuscheck.Ready(t, k8s, repo)
				g.Expect(conditionsOf(obj)).To(ContainElement("SourceVerified=True/Succeeded: " + tt.msg))
				g.Expect(obj.Status.SourceVerificationMode).To(HaveValue(Equal(tt.mode)))
				// Unchanged, the artifact is neither fetched nor verified again.
				before := repos.Fetches(tt.repo)
				g.Expect(conditionsOf(statuscheck.RequestReconcile(t, k8s, repo))).To(ContainElement("SourceVerified=True/Succeeded: " + tt.msg))
				g.Expect(repos.Fetches(tt.repo)).To(Equal(before))
				return
			}
			obj := statuscheck.NotReady(t, k8s, repo, tt.reason, tt.msg)
			g.Expect(obj.Status.Artifact).To(BeNil())
			g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("SourceVerified=False/" + tt.reason)))
			if tt.stalled {
				g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Stalled=True/" + tt.reason)))
			}
		})
	}
}

// sshFingerprintOf returns the SHA256 fingerprint of an authorized_keys line.
func sshFingerprintOf(t *testing.T, authorized string) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}
