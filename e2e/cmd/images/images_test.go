package main

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// fixture is a bin directory holding a tiny static Go binary under the given controller
// names, and a CA bundle.
type fixture struct {
	bin, caCerts string
}

func newFixture(t *testing.T, names ...string) fixture {
	t.Helper()
	bin := t.TempDir()
	data, err := os.ReadFile(buildHello(t, runtime.GOARCH))
	must(t, err)
	for _, n := range names {
		must(t, os.WriteFile(filepath.Join(bin, n), data, 0o755))
	}
	caCerts := filepath.Join(t.TempDir(), "ca.crt")
	must(t, os.WriteFile(caCerts, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644))
	return fixture{bin: bin, caCerts: caCerts}
}

// buildHello builds a tiny static Go program for linux/goarch, as make build does, and
// returns its path.
func buildHello(t *testing.T, goarch string) string {
	t.Helper()
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644))
	hello := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", hello, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to build the test binary: %v\n%s", err, out)
	}
	return hello
}

func (f fixture) options(out string, names ...string) Options {
	return Options{Bin: f.bin, Out: out, Repository: "ghcr.io/ferry-gitops", Tag: "v1.2.3",
		CACerts: f.caCerts, Source: "https://github.com/ferry-gitops/ferry", Controllers: names}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// layoutImages maps the ref names of a layout's index to their images.
func layoutImages(t *testing.T, dir string) map[string]v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	must(t, err)
	idx, err := p.ImageIndex()
	must(t, err)
	m, err := idx.IndexManifest()
	must(t, err)
	images := map[string]v1.Image{}
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		must(t, err)
		images[d.Annotations[refNameAnnotation]] = img
	}
	return images
}

// layerFiles reads the headers and contents of an image's single layer.
func layerFiles(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	must(t, err)
	if len(layers) != 1 {
		t.Fatalf("want one layer, got %d", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	must(t, err)
	defer rc.Close()
	headers, contents := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, contents
		}
		must(t, err)
		headers[hdr.Name] = hdr
		contents[hdr.Name], err = io.ReadAll(tr)
		must(t, err)
	}
}

func TestRunWritesLayoutWithConfig(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "source-controller", "helm-controller")
	out := filepath.Join(t.TempDir(), "images")
	g.Expect(Run(context.Background(), io.Discard, f.options(out, "source-controller", "helm-controller"), "abc123")).To(Succeed())

	images := layoutImages(t, out)
	g.Expect(images).To(HaveLen(2))
	img := images["ghcr.io/ferry-gitops/source-controller:v1.2.3"]
	g.Expect(img).NotTo(BeNil())
	g.Expect(images).To(HaveKey("ghcr.io/ferry-gitops/helm-controller:v1.2.3"))
	mt, err := img.MediaType()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(mt)).To(Equal("application/vnd.oci.image.manifest.v1+json"))
	cf, err := img.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.OS).To(Equal("linux"))
	g.Expect(cf.Architecture).To(Equal(runtime.GOARCH))
	g.Expect(cf.Config.User).To(Equal("65534:65534"))
	g.Expect(cf.Config.Entrypoint).To(Equal([]string{"/usr/local/bin/source-controller"}))
	g.Expect(cf.Config.WorkingDir).To(Equal("/"))
	g.Expect(cf.Config.Labels).To(Equal(map[string]string{
		"org.opencontainers.image.title":    "source-controller",
		"org.opencontainers.image.source":   "https://github.com/ferry-gitops/ferry",
		"org.opencontainers.image.revision": "abc123",
		"org.opencontainers.image.version":  "v1.2.3",
	}))
	g.Expect(cf.Created.IsZero()).To(BeTrue())
}

func TestImageFiles(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "kustomize-controller")
	img, err := Build(Spec{Name: "kustomize-controller", Binary: filepath.Join(f.bin, "kustomize-controller"), CACerts: f.caCerts})
	g.Expect(err).NotTo(HaveOccurred())
	headers, contents := layerFiles(t, img)

	binary, err := os.ReadFile(filepath.Join(f.bin, "kustomize-controller"))
	g.Expect(err).NotTo(HaveOccurred())
	caCerts, err := os.ReadFile(f.caCerts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(contents["usr/local/bin/kustomize-controller"]).To(Equal(binary))
	g.Expect(contents["etc/ssl/certs/ca-certificates.crt"]).To(Equal(caCerts))
	g.Expect(string(contents["etc/passwd"])).To(ContainSubstring("nobody:x:65534:65534:"))
	g.Expect(string(contents["etc/group"])).To(ContainSubstring("nobody:x:65534:"))

	want := map[string]struct {
		mode int64
		typ  byte
	}{
		"usr/local/bin/kustomize-controller": {0o755, tar.TypeReg},
		"etc/ssl/certs/ca-certificates.crt":  {0o644, tar.TypeReg},
		"etc/passwd":                         {0o644, tar.TypeReg},
		"etc/group":                          {0o644, tar.TypeReg},
		"tmp/":                               {0o1777, tar.TypeDir},
		"usr/local/bin/":                     {0o755, tar.TypeDir},
	}
	for path, w := range want {
		hdr := headers[path]
		g.Expect(hdr).NotTo(BeNil(), path)
		g.Expect(hdr.Mode).To(Equal(w.mode), path)
		g.Expect(hdr.Typeflag).To(Equal(w.typ), path)
	}
	for path, hdr := range headers {
		g.Expect(hdr.Uid).To(BeZero(), path)
		g.Expect(hdr.Gid).To(BeZero(), path)
		g.Expect(hdr.ModTime.Unix()).To(BeZero(), path)
	}
}

func TestSameInputSameDigest(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "notification-controller")
	spec := Spec{Name: "notification-controller", Binary: filepath.Join(f.bin, "notification-controller"),
		CACerts: f.caCerts, Revision: "abc", Version: "v1"}
	digest := func(s Spec) v1.Hash {
		img, err := Build(s)
		g.Expect(err).NotTo(HaveOccurred())
		d, err := img.Digest()
		g.Expect(err).NotTo(HaveOccurred())
		return d
	}
	first := digest(spec)
	g.Expect(digest(spec)).To(Equal(first))
	other := spec
	other.Revision = "def"
	g.Expect(digest(other)).NotTo(Equal(first))

	// Writing twice into the same layout replaces the image instead of adding a second one.
	out := filepath.Join(t.TempDir(), "images")
	o := f.options(out, "notification-controller")
	g.Expect(Run(context.Background(), io.Discard, o, "abc")).To(Succeed())
	g.Expect(Run(context.Background(), io.Discard, o, "abc")).To(Succeed())
	images := layoutImages(t, out)
	g.Expect(images).To(HaveLen(1))
}

func TestPushToRegistry(t *testing.T) {
	g := NewWithT(t)
	reg := registry.New(t, registry.Options{})
	f := newFixture(t, "image-reflector-controller")
	out := filepath.Join(t.TempDir(), "images")
	o := f.options(out, "image-reflector-controller")
	o.Push = reg.Repo("ferry")
	var printed strings.Builder
	g.Expect(Run(context.Background(), &printed, o, "abc")).To(Succeed())

	local := layoutImages(t, out)["ghcr.io/ferry-gitops/image-reflector-controller:v1.2.3"]
	g.Expect(local).NotTo(BeNil())
	want, err := local.Digest()
	g.Expect(err).NotTo(HaveOccurred())
	ref, err := name.ParseReference(reg.Repo("ferry/image-reflector-controller:v1.2.3"))
	g.Expect(err).NotTo(HaveOccurred())
	pulled, err := remote.Image(ref, remote.WithTransport(reg.Transport()))
	g.Expect(err).NotTo(HaveOccurred())
	got, err := pulled.Digest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(want))
	g.Expect(printed.String()).To(ContainSubstring("kustomize edit set image ghcr.io/ferry-gitops/image-reflector-controller=" +
		reg.Repo("ferry/image-reflector-controller") + "@" + want.String()))
	cf, err := pulled.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.Config.User).To(Equal("65534:65534"))
}

func TestErrorsNameWhatIsMissing(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "images")
	err := Run(context.Background(), io.Discard, f.options(out, "source-controller"), "")
	g.Expect(err).To(MatchError(ContainSubstring("failed to build the image of source-controller: failed to read binary")))

	f2 := newFixture(t, "source-controller")
	o := f2.options(out, "source-controller")
	o.CACerts = filepath.Join(t.TempDir(), "missing.crt")
	g.Expect(Run(context.Background(), io.Discard, o, "")).To(MatchError(ContainSubstring("failed to read CA certificates")))
}

func TestBinaryArch(t *testing.T) {
	g := NewWithT(t)
	notGo := filepath.Join(t.TempDir(), "script")
	must(t, os.WriteFile(notGo, []byte("#!/bin/sh\n"), 0o755))
	g.Expect(binaryArch(notGo)).To(Equal(runtime.GOARCH))

	// The platform is the binary's, not the build machine's.
	other := map[string]string{"amd64": "arm64"}[runtime.GOARCH]
	if other == "" {
		other = "amd64"
	}
	f := newFixture(t)
	img, err := Build(Spec{Name: "helm-controller", Binary: buildHello(t, other), CACerts: f.caCerts})
	g.Expect(err).NotTo(HaveOccurred())
	out := filepath.Join(t.TempDir(), "images")
	p, err := openLayout(out)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writeToLayout(p, img, "ghcr.io/ferry-gitops/helm-controller:dev")).To(Succeed())
	idx, err := p.ImageIndex()
	g.Expect(err).NotTo(HaveOccurred())
	m, err := idx.IndexManifest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Manifests).To(HaveLen(1))
	g.Expect(*m.Manifests[0].Platform).To(Equal(v1.Platform{OS: "linux", Architecture: other}))
	g.Expect(labels(Spec{Name: "x"})).To(Equal(map[string]string{"org.opencontainers.image.title": "x"}))
}

func TestPushScheme(t *testing.T) {
	for _, tc := range []struct {
		ref      string
		insecure bool
		want     string
	}{
		{"127.0.0.1:5000/ferry/source-controller:dev", false, "http"},
		{"localhost:5000/ferry/source-controller:dev", false, "http"},
		{"registry.example:5000/ferry/source-controller:dev", false, "https"},
		{"registry.example:5000/ferry/source-controller:dev", true, "http"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			g := NewWithT(t)
			r, err := reference(tc.ref, tc.insecure)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(r.Context().Registry.Scheme()).To(Equal(tc.want))
		})
	}
	_, err := reference("Not A Reference", false)
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("failed to parse image reference")))
}

func TestRebuildPrunesOldBlobs(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "source-controller")
	out := filepath.Join(t.TempDir(), "images")
	o := f.options(out, "source-controller")
	g.Expect(Run(context.Background(), io.Discard, o, "abc")).To(Succeed())
	first := blobNames(t, out)
	g.Expect(first).To(HaveLen(3)) // manifest, config, layer

	binary := filepath.Join(f.bin, "source-controller")
	data, err := os.ReadFile(binary)
	g.Expect(err).NotTo(HaveOccurred())
	must(t, os.WriteFile(binary, append(data, 0), 0o755))
	g.Expect(Run(context.Background(), io.Discard, o, "abc")).To(Succeed())
	second := blobNames(t, out)
	g.Expect(second).To(HaveLen(3))
	g.Expect(second).NotTo(Equal(first))
	g.Expect(layoutImages(t, out)).To(HaveLen(1))
}

func blobNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
