package imageupdateautomation

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestSSHSigningKey: with spec.git.commit.signingKey.type ssh, the pushed commit carries an
// SSH signature (git's gpg.format ssh) made with the encrypted key of the Secret's
// 'identity', decrypted with its 'password', that the git binary verifies.
func TestSSHSigningKey(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, false)
	identity, pub := ed25519Key(t, "pass phrase")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ssh-signing", Namespace: f.ns},
		Data: map[string][]byte{"identity": identity, "password": []byte("pass phrase")}})
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("ssh-signed", "")
	obj.Spec.GitSpec.Commit.SigningKey = &imagev1.SigningKey{Type: imagev1.SigningKeyTypeSSH,
		SecretRef: fluxmeta.LocalObjectReference{Name: "ssh-signing"}}
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(f.head("refs/heads/main")).To(Equal(cur.Status.LastPushCommit))
	raw, err := gitOutput(f.bare(), "cat-file", "commit", cur.Status.LastPushCommit)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(raw).To(ContainSubstring("\ngpgsig -----BEGIN SSH SIGNATURE-----\n"))
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	g.Expect(os.WriteFile(allowed, []byte("flux@example.com "+string(ssh.MarshalAuthorizedKey(pub))), 0o600)).To(Succeed())
	out := gitserver.Git(t, f.bare(), "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", "-v", cur.Status.LastPushCommit)
	g.Expect(out).To(ContainSubstring(`Good "git" signature for flux@example.com with ED25519 key ` + ssh.FingerprintSHA256(pub)))
}

// TestSigningKeyRefused: a signing key that cannot sign (SSH, or OpenPGP) stalls the
// automation with a message saying why that quotes neither the key nor its password, and
// nothing is pushed.
func TestSigningKeyRefused(t *testing.T) {
	f := newFixture(t, nil)
	main := f.withApp(t, true)
	encrypted, _ := ed25519Key(t, "right password")
	tests := []struct {
		name    string
		keyType imagev1.SigningKeyType
		data    map[string][]byte
		want    string
	}{
		{name: "malformed-openpgp", keyType: imagev1.SigningKeyTypeGPG, data: map[string][]byte{"git.asc": []byte("bm90LWEta2V5LXNlY3JldA==")},
			want: "failed to read spec.git.commit.signingKey: Secret 'malformed-openpgp': failed to read the signing key"},
		{name: "malformed", keyType: imagev1.SigningKeyTypeSSH, data: map[string][]byte{"identity": []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEta2V5LXNlY3JldA==\n-----END OPENSSH PRIVATE KEY-----\n")},
			want: "failed to read spec.git.commit.signingKey: Secret 'malformed': failed to read the SSH signing key: it is not a PEM-encoded SSH private key"},
		{name: "no-password", keyType: imagev1.SigningKeyTypeSSH, data: map[string][]byte{"identity": encrypted},
			want: "it is encrypted and the secret has no 'password'"},
		{name: "wrong-password", keyType: imagev1.SigningKeyTypeSSH, data: map[string][]byte{"identity": encrypted, "password": []byte("n0t-th3-0ne")},
			want: "failed to decrypt the SSH signing key: wrong password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: tt.name, Namespace: f.ns}, Data: tt.data})
			obj := f.automation(tt.name, "")
			obj.Spec.GitSpec.Commit.SigningKey = &imagev1.SigningKey{Type: tt.keyType,
				SecretRef: fluxmeta.LocalObjectReference{Name: tt.name}}
			create(t, obj)
			cur := statuscheck.Stalled(t, k8s, obj, imagev1.GitOperationFailedReason, tt.want)
			for _, c := range cur.Status.Conditions {
				for _, secret := range []string{"bm90LWEta2V5LXNlY3JldA", "n0t-th3-0ne", "right password"} {
					if strings.Contains(c.Message, secret) {
						t.Fatalf("condition %s quotes key material: %q", c.Type, c.Message)
					}
				}
			}
		})
	}
	NewWithT(t).Expect(f.head("refs/heads/main")).To(Equal(main), "none of them pushed")
}

// ed25519Key returns a new ed25519 private key in OpenSSH's PEM format encrypted with
// passphrase, and its public key.
func ed25519Key(t *testing.T, passphrase string) ([]byte, ssh.PublicKey) {
	t.Helper()
	pubKey, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "flux", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), pub
}
