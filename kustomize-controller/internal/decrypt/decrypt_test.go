package decrypt_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/cmd/sops/formats"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
)

const plainSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
type: Opaque
stringData:
  password: s3cr3t-value-1
data:
  token: czNjcjN0LXZhbHVlLTI=
`

// decode parses a YAML manifest into an object.
func decode(g *WithT, manifest []byte) *unstructured.Unstructured {
	raw, err := yaml.YAMLToJSON(manifest)
	g.Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{}
	g.Expect(u.UnmarshalJSON(raw)).To(Succeed())
	return u
}

// decryptorFor returns a Decryptor holding id.
func decryptorFor(g *WithT, ids ...sopstest.Identity) *decrypt.Decryptor {
	keys := map[string][]byte{"ignored.txt": []byte("not a key")}
	for i, id := range ids {
		keys[string(rune('a'+i))+".agekey"] = []byte("# created by the test\n" + id.Secret + "\n")
	}
	d, err := decrypt.NewDecryptor(keys)
	g.Expect(err).NotTo(HaveOccurred())
	return d
}

func TestDecryptObject(t *testing.T) {
	id, other := sopstest.NewIdentity(t), sopstest.NewIdentity(t)
	encrypted := sopstest.Encrypt(t, "secret.yaml", []byte(plainSecret), "^(data|stringData)$", id.Recipient)

	tests := []struct {
		name    string
		ids     []sopstest.Identity
		change  func(u *unstructured.Unstructured)
		wantErr []string
	}{
		{name: "decrypts data and stringData", ids: []sopstest.Identity{id}},
		{
			name: "decrypts after Kustomize changed namespace, name and labels", ids: []sopstest.Identity{other, id},
			change: func(u *unstructured.Unstructured) {
				u.SetNamespace("prod")
				u.SetName("prefix-db")
				u.SetLabels(map[string]string{"team": "a"})
			},
		},
		{
			name: "no matching identity", ids: []sopstest.Identity{other},
			wantErr: []string{"Secret/apps/db", "no age identity of the decryption Secret matches", id.Recipient},
		},
		{name: "no identity at all", ids: nil, wantErr: []string{"no age identity in the decryption Secret", id.Recipient}},
		{
			name: "a value that should be encrypted is plain", ids: []sopstest.Identity{id},
			change: func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, "plain-leak-value", "stringData", "password")
			},
			wantErr: []string{"should be encrypted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			u := decode(g, encrypted)
			g.Expect(decrypt.IsEncrypted(u)).To(BeTrue())
			g.Expect(u.Object["stringData"]).NotTo(HaveKeyWithValue("password", "s3cr3t-value-1"))
			if tt.change != nil {
				tt.change(u)
			}
			err := decryptorFor(g, tt.ids...).DecryptObject(u)
			if tt.wantErr != nil {
				g.Expect(err).To(HaveOccurred())
				for _, s := range tt.wantErr {
					g.Expect(err.Error()).To(ContainSubstring(s))
				}
				for _, secret := range []string{"s3cr3t-value", "plain-leak-value", id.Secret, other.Secret} {
					g.Expect(err.Error()).NotTo(ContainSubstring(secret))
				}
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(u.Object).NotTo(HaveKey("sops"))
			g.Expect(u.Object["stringData"]).To(HaveKeyWithValue("password", "s3cr3t-value-1"))
			g.Expect(u.Object["data"]).To(HaveKeyWithValue("token", "czNjcjN0LXZhbHVlLTI="))
			g.Expect(decrypt.IsEncrypted(u)).To(BeFalse())
		})
	}
}

func TestDecryptFile(t *testing.T) {
	id := sopstest.NewIdentity(t)
	tests := []struct {
		name   string
		plain  string
		format formats.Format
	}{
		{name: "app.yaml", plain: "user: admin\npassword: hunter2\n", format: formats.Yaml},
		{name: "app.json", plain: `{"user":"admin","password":"hunter2"}`, format: formats.Json},
		{name: "app.env", plain: "USER=admin\nPASSWORD=hunter2\n", format: formats.Dotenv},
		{name: "app.ini", plain: "[db]\nuser = admin\npassword = hunter2\n", format: formats.Ini},
		{name: "tls.key", plain: "-----BEGIN KEY-----\nhunter2\n-----END KEY-----\n", format: formats.Binary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := decryptorFor(g, id)
			enc := sopstest.Encrypt(t, tt.name, []byte(tt.plain), "", id.Recipient)
			g.Expect(string(enc)).NotTo(ContainSubstring("hunter2"))
			format, ok := decrypt.Format(tt.name, enc)
			g.Expect(ok).To(BeTrue())
			g.Expect(format).To(Equal(tt.format))

			out, decrypted, err := d.DecryptFile(tt.name, enc)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(decrypted).To(BeTrue())
			g.Expect(string(out)).To(ContainSubstring("hunter2"))
			if tt.format == formats.Binary || tt.format == formats.Dotenv {
				g.Expect(string(out)).To(Equal(tt.plain))
			}

			// Plain files pass through untouched.
			same, decrypted, err := d.DecryptFile(tt.name, []byte(tt.plain))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(decrypted).To(BeFalse())
			g.Expect(string(same)).To(Equal(tt.plain))
		})
	}
}

func TestDecryptFileAfterUnencryptedValuesChanged(t *testing.T) {
	g := NewWithT(t)
	id := sopstest.NewIdentity(t)
	enc := sopstest.Encrypt(t, "app.yaml", []byte("user: admin\npassword: hunter2\n"), "^password$", id.Recipient)
	edited := strings.Replace(string(enc), "user: admin", "user: root", 1)
	g.Expect(edited).NotTo(Equal(string(enc)))
	out, ok, err := decryptorFor(g, id).DecryptFile("app.yaml", []byte(edited))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(string(out)).To(Equal("user: root\npassword: hunter2\n"))
}

func TestDecryptSecretDataEntries(t *testing.T) {
	g := NewWithT(t)
	id := sopstest.NewIdentity(t)
	env := sopstest.Encrypt(t, "db.env", []byte("PASSWORD=hunter2\n"), "", id.Recipient)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "generated-abc", "namespace": "apps"},
		"data": map[string]any{
			"db.env": base64.StdEncoding.EncodeToString(env),
			"plain":  base64.StdEncoding.EncodeToString([]byte("visible")),
		},
	}}
	g.Expect(decrypt.IsEncrypted(u)).To(BeTrue())
	g.Expect(decryptorFor(g, id).DecryptObject(u)).To(Succeed())
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	g.Expect(base64.StdEncoding.DecodeString(data["db.env"])).To(Equal([]byte("PASSWORD=hunter2\n")))
	g.Expect(base64.StdEncoding.DecodeString(data["plain"])).To(Equal([]byte("visible")))
	g.Expect(decrypt.IsEncrypted(u)).To(BeFalse())
}

func TestDecryptObjectLeavesPlainObjects(t *testing.T) {
	g := NewWithT(t)
	u := decode(g, []byte(plainSecret))
	before := u.DeepCopy()
	g.Expect(decrypt.IsEncrypted(u)).To(BeFalse())
	g.Expect(decryptorFor(g, sopstest.NewIdentity(t)).DecryptObject(u)).To(Succeed())
	g.Expect(u).To(Equal(before))
}

func TestNewDecryptorRejectsInvalidKey(t *testing.T) {
	g := NewWithT(t)
	_, err := decrypt.NewDecryptor(map[string][]byte{"bad.agekey": []byte("AGE-SECRET-KEY-1NOTREALLYAKEY")})
	g.Expect(err).To(MatchError(ContainSubstring(`"bad.agekey"`)))
	g.Expect(err.Error()).NotTo(ContainSubstring("NOTREALLYAKEY"))
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name, data string
		want       formats.Format
		ok         bool
	}{
		{"plain.yaml", "a: b\n", formats.Binary, false},
		{"mentions.yaml", "sops: is a tool\n", formats.Binary, false},
		{"x.yaml", "a: ENC[AES256_GCM,data:x]\nsops:\n    mac: ENC[...]\n", formats.Yaml, true},
		{"x.json", `{"a": 1, "sops": {"mac": "x"}}`, formats.Json, true},
		{"x.bin", `{"data": "ENC[...]", "sops": {"mac": "x"}}`, formats.Binary, true},
		{"x.env", "A=ENC[...]\nsops_mac=ENC[...]\n", formats.Dotenv, true},
		{"x.ini", "[db]\na = ENC[...]\n[sops]\nmac = ENC[...]\n", formats.Ini, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			f, ok := decrypt.Format(tt.name, []byte(tt.data))
			g.Expect(ok).To(Equal(tt.ok))
			if ok {
				g.Expect(f).To(Equal(tt.want))
			}
		})
	}
}

func TestDecryptFileRefusesHugeDocuments(t *testing.T) {
	g := NewWithT(t)
	id := sopstest.NewIdentity(t)
	enc := sopstest.Encrypt(t, "app.yaml", []byte("password: hunter2\n"), "", id.Recipient)
	huge := append([]byte("# "+strings.Repeat("x", decrypt.MaxEncryptedSize)+"\n"), enc...)
	_, ok, err := decryptorFor(g, id).DecryptFile("app.yaml", huge)
	g.Expect(ok).To(BeTrue())
	g.Expect(err).To(MatchError(ContainSubstring("larger than")))
}
