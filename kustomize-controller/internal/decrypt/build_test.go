package decrypt_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
	"github.com/ferry-gitops/ferry/shared/kustomize/build"
)

const (
	sopsKustomization = `resources: [secret.yaml, cm.yaml]
secretGenerator:
- name: db
  envs: [db.env]
  files: [tls.key, config.json]
configMapGenerator:
- name: settings
  files: [settings.yaml]
generatorOptions:
  disableNameSuffixHash: true
`
	sopsSecret = `apiVersion: v1
kind: Secret
metadata:
  name: manifest
stringData:
  password: plain-manifest-password
`
)

// sopsRoot writes a source whose Secret manifest and generator files are SOPS-encrypted
// for id.
func sopsRoot(t *testing.T, id sopstest.Identity) string {
	root := t.TempDir()
	enc := func(name, plain, regex string) string {
		return string(sopstest.Encrypt(t, name, []byte(plain), regex, id.Recipient))
	}
	writeTree(t, root, map[string]string{
		"app/kustomization.yaml": sopsKustomization,
		"app/secret.yaml":        enc("secret.yaml", sopsSecret, "^(data|stringData)$"),
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n",
		"app/db.env":             enc("db.env", "PASSWORD=plain-env-password\n", ""),
		"app/tls.key":            enc("tls.key", "plain-binary-key", ""),
		"app/config.json":        enc("config.json", `{"token":"plain-json-token"}`, ""),
		"app/settings.yaml":      enc("settings.yaml", "level: plain-yaml-level\n", ""),
	})
	return root
}

// secretData decodes the data of a Secret.
func secretData(g *WithT, o *unstructured.Unstructured) map[string]string {
	g.Expect(o).NotTo(BeNil())
	data, _, err := unstructured.NestedStringMap(o.Object, "data")
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]string{}
	for k, v := range data {
		b, err := base64.StdEncoding.DecodeString(v)
		g.Expect(err).NotTo(HaveOccurred())
		out[k] = string(b)
	}
	return out
}

func TestBuildDecryptsSOPS(t *testing.T) {
	g := NewWithT(t)
	id := sopstest.NewIdentity(t)
	root := sopsRoot(t, id)
	before := snapshot(t, root)
	dec, err := decrypt.NewDecryptor(map[string][]byte{"age.agekey": []byte(id.Secret)})
	g.Expect(err).NotTo(HaveOccurred())

	objs, err := build.Build(nil, build.Options{Root: root, Path: "app", Decryptor: dec, NoRemoteBases: true})
	g.Expect(err).NotTo(HaveOccurred())

	manifest := find(objs, "Secret", "", "manifest")
	g.Expect(manifest.Object).NotTo(HaveKey("sops"))
	g.Expect(manifest.Object["stringData"]).To(HaveKeyWithValue("password", "plain-manifest-password"))
	db := secretData(g, find(objs, "Secret", "", "db"))
	g.Expect(db).To(HaveLen(3))
	g.Expect(db).To(HaveKeyWithValue("PASSWORD", "plain-env-password"))
	g.Expect(db).To(HaveKeyWithValue("tls.key", "plain-binary-key"))
	g.Expect(db["config.json"]).To(MatchJSON(`{"token":"plain-json-token"}`))
	settings := find(objs, "ConfigMap", "", "settings")
	g.Expect(settings.Object["data"]).To(HaveKeyWithValue("settings.yaml", ContainSubstring("plain-yaml-level")))
	for _, o := range objs {
		g.Expect(decrypt.IsEncrypted(o)).To(BeFalse(), o.GetName())
	}

	// Nothing decrypted reached the disk.
	g.Expect(snapshot(t, root)).To(Equal(before))
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		g.Expect(string(b)).NotTo(ContainSubstring("plain-"), p)
		return err
	})
	g.Expect(err).NotTo(HaveOccurred())
}

func TestBuildWithoutDecryptorKeepsSOPSData(t *testing.T) {
	g := NewWithT(t)
	root := sopsRoot(t, sopstest.NewIdentity(t))
	objs, err := build.Build(nil, build.Options{Root: root, Path: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(decrypt.IsEncrypted(find(objs, "Secret", "", "manifest"))).To(BeTrue())
	g.Expect(decrypt.IsEncrypted(find(objs, "Secret", "", "db"))).To(BeTrue())
}

func TestBuildSOPSWithTheWrongKey(t *testing.T) {
	g := NewWithT(t)
	root := sopsRoot(t, sopstest.NewIdentity(t))
	wrong := sopstest.NewIdentity(t)
	dec, err := decrypt.NewDecryptor(map[string][]byte{"age.agekey": []byte(wrong.Secret)})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = build.Build(nil, build.Options{Root: root, Path: "app", Decryptor: dec})
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("failed to decrypt app/"))
	g.Expect(err.Error()).To(ContainSubstring("no age identity of the decryption Secret matches"))
	g.Expect(err.Error()).NotTo(ContainSubstring(root))
	g.Expect(strings.Contains(err.Error(), "plain-")).To(BeFalse())
}

// writeTree writes files (path -> content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot maps every file below dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// find returns the object of a kind, namespace and name, or nil.
func find(objs []*unstructured.Unstructured, kind, ns, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == name {
			return o
		}
	}
	return nil
}
