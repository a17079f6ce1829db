package decrypt_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
)

// FuzzDecryptFile feeds SOPS documents from Git (YAML, JSON, dotenv), starting from genuine
// ones, to DecryptFile. Whatever the input: no panic; an error quotes neither a secret value
// nor the age key; and a document that decrypts gives the values that were encrypted, never
// changed ones (SOPS' MAC and AEAD hold: a changed ciphertext or MAC is refused).
func FuzzDecryptFile(f *testing.F) {
	id := sopstest.NewIdentity(f)
	d, err := decrypt.NewDecryptor(map[string][]byte{"k.agekey": []byte(id.Secret + "\n")})
	if err != nil {
		f.Fatal(err)
	}
	jsonSecret, err := yaml.YAMLToJSON([]byte(plainSecret))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("secret.yaml", sopstest.Encrypt(f, "secret.yaml", []byte(plainSecret), "^(data|stringData)$", id.Recipient))
	f.Add("secret.yaml", sopstest.Encrypt(f, "secret.yaml", []byte(plainSecret), "", id.Recipient))
	f.Add("secret.json", sopstest.Encrypt(f, "secret.json", jsonSecret, "", id.Recipient))
	f.Add("app.env", sopstest.Encrypt(f, "app.env", []byte("password=s3cr3t-value-1\n"), "", id.Recipient))
	f.Add("plain.yaml", []byte(plainSecret))
	f.Add("x.yaml", []byte("sops:\n  mac: x\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		out, encrypted, err := d.DecryptFile(name, data)
		if err != nil {
			for _, secret := range []string{"s3cr3t-value-1", "s3cr3t-value-2", id.Secret} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error quotes a secret: %v", err)
				}
			}
			return
		}
		if !encrypted {
			if !bytes.Equal(out, data) {
				t.Fatal("a document that is not encrypted was changed")
			}
			return
		}
		checkValues(t, out)
	})
}

// checkValues checks that the secret values of a decrypted document are the encrypted ones.
func checkValues(t *testing.T, out []byte) {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err == nil {
		sd, _ := doc["stringData"].(map[string]any)
		if v, ok := sd["password"]; ok && v != "s3cr3t-value-1" {
			t.Fatalf("decrypted a changed password %q", v)
		}
		data, _ := doc["data"].(map[string]any)
		if v, ok := data["token"]; ok && v != "czNjcjN0LXZhbHVlLTI=" {
			t.Fatalf("decrypted a changed token %q", v)
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "password="); ok && v != "s3cr3t-value-1" {
			t.Fatalf("decrypted a changed dotenv password %q", v)
		}
	}
}
