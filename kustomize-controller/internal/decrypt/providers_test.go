package decrypt_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/pgp"
	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
	"github.com/ferry-gitops/ferry/shared/testing/vaultserver"
)

const providerPlain = "user: admin\npassword: hunter2\n"

// expectDecrypts checks that keys decrypt enc back to providerPlain.
func expectDecrypts(g *WithT, keys map[string][]byte, enc []byte) {
	expectDecryptsAs(g, keys, decrypt.Identity{}, enc)
}

// expectDecryptsAs checks that keys, with the cloud identity id, decrypt enc back to
// providerPlain.
func expectDecryptsAs(g *WithT, keys map[string][]byte, id decrypt.Identity, enc []byte) {
	d, err := decrypt.NewDecryptorWithIdentity(keys, id)
	g.Expect(err).NotTo(HaveOccurred())
	out, ok, err := d.DecryptFile("app.yaml", enc)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(string(out)).To(Equal(providerPlain))
}

// expectFails checks that keys fail to decrypt enc with an error holding want and none of
// the secrets.
func expectFails(g *WithT, keys map[string][]byte, enc []byte, want []string, secrets ...string) {
	expectFailsAs(g, keys, decrypt.Identity{}, enc, want, secrets...)
}

// expectFailsAs checks that keys, with the cloud identity id, fail to decrypt enc with an
// error holding want and none of the secrets.
func expectFailsAs(g *WithT, keys map[string][]byte, id decrypt.Identity, enc []byte, want []string, secrets ...string) {
	d, err := decrypt.NewDecryptorWithIdentity(keys, id)
	g.Expect(err).NotTo(HaveOccurred())
	_, ok, err := d.DecryptFile("app.yaml", enc)
	g.Expect(ok).To(BeTrue())
	g.Expect(err).To(HaveOccurred())
	for _, s := range want {
		g.Expect(err.Error()).To(ContainSubstring(s))
	}
	for _, s := range append(secrets, "hunter2") {
		g.Expect(err.Error()).NotTo(ContainSubstring(s))
	}
}

func TestDecryptPGP(t *testing.T) {
	key, other := sopstest.NewPGPKey(t), sopstest.NewPGPKey(t)
	enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", key.Key())
	g := NewWithT(t)
	g.Expect(string(enc)).To(ContainSubstring(key.Fingerprint))
	g.Expect(string(enc)).NotTo(ContainSubstring("hunter2"))

	// The keyring of one decryption lives in a private directory removed after it.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// sops' OpenPGP path decrypts: its fallback to a gpg binary is not needed.
	t.Setenv(pgp.SopsGpgExecEnv, "/nonexistent/gpg")
	t.Run("the key decrypts", func(t *testing.T) {
		expectDecrypts(NewWithT(t), map[string][]byte{"other.asc": []byte(other.Armored), "sops.asc": []byte(key.Armored)}, enc)
	})
	t.Run("another key", func(t *testing.T) {
		expectFails(NewWithT(t), map[string][]byte{"sops.asc": []byte(other.Armored)}, enc,
			[]string{"no OpenPGP key of the decryption Secret", key.Fingerprint}, other.Armored)
	})
	t.Run("no key, even with one in the controller's GnuPG home", func(t *testing.T) {
		home := t.TempDir()
		var ring bytes.Buffer
		NewWithT(t).Expect(key.Entity.SerializePrivateWithoutSigning(&ring, nil)).To(Succeed())
		NewWithT(t).Expect(os.WriteFile(filepath.Join(home, "secring.gpg"), ring.Bytes(), 0o600)).To(Succeed())
		t.Setenv("GNUPGHOME", home)
		expectFails(NewWithT(t), map[string][]byte{}, enc, []string{"no OpenPGP key", key.Fingerprint})
	})
	entries, err := os.ReadDir(tmp)
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), "TestDecryptPGP") })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(BeEmpty())
}

func TestNewDecryptorRefusesUnusablePGPKeys(t *testing.T) {
	key := sopstest.NewPGPKey(t)
	var public strings.Builder
	g := NewWithT(t)
	g.Expect(key.Entity.PrivateKey.Encrypt([]byte("passphrase"))).To(Succeed())
	protected := sopstest.Armor(t, key.Entity, true)
	public.WriteString(sopstest.Armor(t, key.Entity, false))
	tests := []struct{ name, value, want string }{
		{"garbage", "not a key", `failed to parse the OpenPGP keys in "k.asc": not an armored key`},
		{"public key only", public.String(), "has no private key"},
		{"passphrase", protected, "is protected by a passphrase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := decrypt.NewDecryptor(map[string][]byte{"k.asc": []byte(tt.value)})
			g.Expect(err).To(MatchError(ContainSubstring(tt.want)))
		})
	}
}

func TestDecryptVault(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			o := vaultserver.Options{Token: "s.root-token", Mounts: []string{"sops/transit"}}
			if tls {
				cert := sopstest.TrustedCertificate(t)
				o.TLS = &cert
			}
			s, err := vaultserver.New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			enc := sopstest.EncryptFor(t, "app.yaml", []byte(providerPlain), "", sopstest.Vault(s, "sops/transit", "app"))
			g := NewWithT(t)

			expectDecrypts(g, map[string][]byte{decrypt.VaultTokenKey: []byte("s.root-token\n")}, enc)
			g.Expect(s.Decrypts()).To(BeEquivalentTo(1))

			expectFails(g, map[string][]byte{decrypt.VaultTokenKey: []byte("s.wrong-token")}, enc,
				[]string{"the Vault key " + s.Address() + "/v1/sops/transit/keys/app failed", "permission denied"}, "s.wrong-token")
			g.Expect(s.Denied()).To(BeEquivalentTo(1))

			// Without the Secret's token nothing is sent, even when the controller's
			// environment has a token.
			t.Setenv("VAULT_TOKEN", "s.root-token")
			expectFails(g, map[string][]byte{}, enc, []string{"needs a token: no sops.vault-token entry"})
			g.Expect(s.Decrypts()).To(BeEquivalentTo(1))
			g.Expect(s.Denied()).To(BeEquivalentTo(1))
		})
	}
}

func TestDecryptAgeIgnoresTheEnvironment(t *testing.T) {
	id := sopstest.NewIdentity(t)
	enc := sopstest.Encrypt(t, "app.yaml", []byte(providerPlain), "", id.Recipient)
	keyFile := filepath.Join(t.TempDir(), "keys.txt")
	g := NewWithT(t)
	g.Expect(os.WriteFile(keyFile, []byte(id.Secret), 0o600)).To(Succeed())
	t.Setenv("SOPS_AGE_KEY", id.Secret)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	expectFails(g, map[string][]byte{}, enc, []string{"no age identity in the decryption Secret", id.Recipient}, id.Secret)
	expectDecrypts(g, map[string][]byte{"age.agekey": []byte(id.Secret)}, enc)
}
