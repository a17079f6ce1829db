package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// cacheCM is a ConfigMap whose data.k is value.
func cacheCM(value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: " + value + "\n"
}

// dataK returns data.k of the only object of objs.
func dataK(g *WithT, objs []*unstructured.Unstructured) string {
	g.Expect(objs).To(HaveLen(1))
	v, _, _ := unstructured.NestedString(objs[0].Object, "data", "k")
	return v
}

// plainDecryptor decrypts nothing: its presence alone must keep a build out of the cache.
type plainDecryptor struct{}

func (plainDecryptor) DecryptFile(_ string, data []byte) ([]byte, bool, error) {
	return data, false, nil
}

// The cache is observed through the artifact directory: it is changed under the same digest,
// which never happens to a real artifact, so a build that still shows the old content came
// from the cache and one that shows the new content ran Kustomize.
func TestCacheReusesBuildOfSameArtifactAndSpec(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("one")})
	c := NewCache(1 << 20)
	spec := &kustomizev1.KustomizationSpec{Path: "app"}
	opts := Options{Root: root, Path: "app"}

	objs, err := c.Build("uid-1", "sha256:a", spec, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("one"))
	// The caller owns what it gets: changing it changes no later build.
	objs[0].SetLabels(map[string]string{"changed": "by the caller"})

	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("two")})
	objs, err = c.Build("uid-1", "sha256:a", spec, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("one"), "same artifact and spec: the kept build")
	g.Expect(objs[0].GetLabels()).To(BeEmpty())
	// The same artifact extracted elsewhere is the same content.
	elsewhere := opts
	elsewhere.Root = t.TempDir()
	objs, err = c.Build("uid-1", "sha256:a", spec, elsewhere)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("one"), "same artifact elsewhere: the kept build")

	objs, err = c.Build("uid-2", "sha256:a", spec, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("two"), "another Kustomization builds its own")

	objs, err = c.Build("uid-1", "sha256:b", spec, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("two"), "a new artifact is built")

	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("three")})
	prefixed := &kustomizev1.KustomizationSpec{Path: "app", NamePrefix: "p-"}
	objs, err = c.Build("uid-1", "sha256:b", prefixed, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("three"), "a changed spec is built")
	g.Expect(objs[0].GetName()).To(Equal("p-app"))

	c.Forget("uid-1")
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("four")})
	objs, err = c.Build("uid-1", "sha256:b", prefixed, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("four"), "a forgotten build is made again")
}

func TestCacheKeepsNoDecryptedBuild(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("one")})
	c := NewCache(1 << 20)
	opts := Options{Root: root, Path: "app", Decryptor: plainDecryptor{}}
	_, err := c.Build("uid", "sha256:a", nil, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Len()).To(Equal(0))

	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("two")})
	objs, err := c.Build("uid", "sha256:a", nil, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("two"))
}

func TestCacheKeepsNoBuildWithRemoteBases(t *testing.T) {
	g := NewWithT(t)
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{"base/kustomization.yaml": "resources: [cm.yaml]\n", "base/cm.yaml": cacheCM("one")})
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"app/kustomization.yaml": "resources:\n- file://" + filepath.ToSlash(repo) + "//base?ref=main\n",
	})
	c := NewCache(1 << 20)
	objs, err := c.Build("uid", "sha256:a", nil, Options{Root: root, Path: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("one"))
	g.Expect(c.Len()).To(Equal(0))

	// The remote base moves on under the same artifact and spec: the next build sees it.
	g.Expect(os.WriteFile(filepath.Join(repo, "base/cm.yaml"), []byte(cacheCM("two")), 0o644)).To(Succeed())
	git("commit", "-q", "-a", "-m", "two")
	objs, err = c.Build("uid", "sha256:a", nil, Options{Root: root, Path: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("two"))
}

func TestCacheDropsLeastRecentlyUsed(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("one")})
	opts := Options{Root: root, Path: "app"}
	probe := NewCache(1 << 20)
	_, err := probe.Build("probe", "sha256:a", nil, opts)
	g.Expect(err).NotTo(HaveOccurred())
	_, one := probe.Len()
	g.Expect(one).To(BeNumerically(">", 0))

	c := NewCache(2*one + one/2) // room for two builds
	for _, owner := range []string{"a", "b", "a", "c"} {
		_, err := c.Build(owner, "sha256:a", nil, opts)
		g.Expect(err).NotTo(HaveOccurred())
	}
	owners, size := c.Len()
	g.Expect(owners).To(Equal(2))
	g.Expect(size).To(Equal(2 * one))

	// "b" was used least recently: it is built again, "a" and "c" are not.
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("two")})
	for _, owner := range []string{"a", "c", "b"} {
		want := map[string]string{"a": "one", "c": "one", "b": "two"}[owner]
		objs, err := c.Build(owner, "sha256:a", nil, opts)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(dataK(g, objs)).To(Equal(want), owner)
	}
}

func TestNilCacheBuildsEveryTime(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app/cm.yaml": cacheCM("one")})
	var c *Cache
	objs, err := c.Build("uid", "sha256:a", nil, Options{Root: root, Path: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dataK(g, objs)).To(Equal("one"))
	c.Forget("uid")
}
