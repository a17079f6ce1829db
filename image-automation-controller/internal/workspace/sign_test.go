package workspace

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// sshKey returns a new private key of kind (ed25519, ecdsa-p256, ecdsa-p384, ecdsa-p521,
// rsa-<bits>) in OpenSSH's PEM format, encrypted with passphrase when it is not empty, and
// its public key.
func sshKey(t *testing.T, kind, passphrase string) ([]byte, ssh.PublicKey) {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa-p256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-p384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ecdsa-p521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "rsa-1024":
		priv, err = rsa.GenerateKey(rand.Reader, 1024)
	case "rsa-3072":
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		t.Fatalf("unknown key kind %s", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), pub
}

// allowedSigners writes an allowed_signers file trusting pub for email and returns its path.
func allowedSigners(t *testing.T, email string, pub ssh.PublicKey) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(path, []byte(email+" "+string(ssh.MarshalAuthorizedKey(pub))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSSHSignerVerifiedByGit: commits signed with SSH keys of each algorithm, encrypted or
// not, carry an SSHSIG signature that the git binary (gpg.format ssh, through ssh-keygen)
// verifies against an allowed_signers file, and refuses against another key.
func TestSSHSignerVerifiedByGit(t *testing.T) {
	rm := newRemote(t, map[string]string{"a.yaml": "a\n"})
	dir := t.TempDir()
	store, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := store.Open("uid-1", rm.url)
	if err != nil {
		t.Fatal(err)
	}
	w := rm.want(t, "main", "refs/ferry/checkout")
	if _, err := repo.Fetch(ctx(t), rm.t, []*Want{w}); err != nil {
		t.Fatal(err)
	}
	tree, err := repo.TreeOf(w.Hash)
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(dir, "uid-1")
	_, stranger := sshKey(t, "ed25519", "")
	tests := []struct{ kind, passphrase, keyName string }{
		{kind: "ed25519", keyName: "ED25519"},
		{kind: "ed25519", passphrase: "pass phrase", keyName: "ED25519"},
		{kind: "ecdsa-p256", keyName: "ECDSA"},
		{kind: "ecdsa-p384", keyName: "ECDSA"},
		{kind: "ecdsa-p521", passphrase: "pw", keyName: "ECDSA"},
		{kind: "rsa-3072", keyName: "RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+map[bool]string{true: "-encrypted"}[tt.passphrase != ""], func(t *testing.T) {
			key, pub := sshKey(t, tt.kind, tt.passphrase)
			signer, err := SSHSigner(key, []byte(tt.passphrase))
			if err != nil {
				t.Fatal(err)
			}
			author := Author{Name: "Flux", Email: "flux@example.com", When: time.Now()}
			c, err := repo.Commit(tree, w.Hash, author, "signed with "+tt.kind+"\n", signer)
			if err != nil {
				t.Fatal(err)
			}
			raw := gitserver.Git(t, clone, "cat-file", "commit", c.String())
			if !strings.Contains(raw, "\ngpgsig -----BEGIN SSH SIGNATURE-----\n") {
				t.Fatalf("the commit has no SSH signature header:\n%s", raw)
			}
			out := gitserver.Git(t, clone, "-c", "gpg.ssh.allowedSignersFile="+allowedSigners(t, "flux@example.com", pub),
				"verify-commit", "-v", c.String())
			if want := `Good "git" signature for flux@example.com with ` + tt.keyName + ` key ` + ssh.FingerprintSHA256(pub); !strings.Contains(out, want) {
				t.Fatalf("git verify-commit says:\n%s\nwant %q", out, want)
			}
			out = gitserver.Git(t, clone, "-c", "gpg.ssh.allowedSignersFile="+allowedSigners(t, "flux@example.com", pub),
				"log", "--show-signature", "-1", c.String())
			if !strings.Contains(out, `Good "git" signature for flux@example.com`) {
				t.Fatalf("git log --show-signature says:\n%s", out)
			}
			if out, err := gitserver.Output(clone, "-c", "gpg.ssh.allowedSignersFile="+allowedSigners(t, "flux@example.com", stranger),
				"verify-commit", c.String()); err == nil {
				t.Fatalf("git verify-commit accepted the signature with another key:\n%s", out)
			}
		})
	}
}

// TestSSHSignerKeyErrors: keys that cannot sign are KeyErrors whose message says why and
// quotes neither the key nor its password.
func TestSSHSignerKeyErrors(t *testing.T) {
	encrypted, _ := sshKey(t, "ed25519", "right password")
	short, _ := sshKey(t, "rsa-1024", "")
	plain, _ := sshKey(t, "ed25519", "")
	truncated := plain[:len(plain)/2]
	tests := []struct {
		name     string
		key      []byte
		password string
		want     string
	}{
		{name: "empty", want: "not a PEM-encoded SSH private key"},
		{name: "not pem", key: []byte("c2VjcmV0LWtleS1tYXRlcmlhbA== not a key"), want: "not a PEM-encoded SSH private key"},
		{name: "truncated", key: truncated, want: "not a PEM-encoded SSH private key"},
		{name: "openpgp key", key: []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcLYBGV0ZXN0\n-----END PGP PRIVATE KEY BLOCK-----\n"),
			want: "not a PEM-encoded SSH private key"},
		{name: "encrypted without password", key: encrypted, want: "it is encrypted and the secret has no 'password'"},
		{name: "wrong password", key: encrypted, password: "n0t-th3-0ne", want: "failed to decrypt the SSH signing key: wrong password"},
		{name: "short rsa", key: short, want: "RSA key shorter than 2048 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SSHSigner(tt.key, []byte(tt.password))
			var keyErr *KeyError
			if !errors.As(err, &keyErr) {
				t.Fatalf("SSHSigner = %v, want a KeyError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("SSHSigner = %q, want it to contain %q", msg, tt.want)
			}
			if tt.password != "" && strings.Contains(msg, tt.password) {
				t.Fatalf("the error quotes the password: %q", msg)
			}
			for _, line := range strings.Split(string(tt.key), "\n") {
				if len(line) > 8 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
					t.Fatalf("the error quotes the key: %q", msg)
				}
			}
			if strings.Contains(msg, "c2VjcmV0") {
				t.Fatalf("the error quotes the key: %q", msg)
			}
		})
	}
}
