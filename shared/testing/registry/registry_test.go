package registry

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"
)

func TestRegistryServesPushedArtifacts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"plain", Options{}},
		{"basic auth", Options{Username: "flux", Password: "s3cret"}},
		{"tls", Options{TLS: true}},
		{"mutual tls with auth", Options{MutualTLS: true, Username: "u", Password: "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := New(t, tc.opts)
			digest, err := r.PushFiles("app/manifests", "v1.0.0", map[string]string{"a.yaml": "a: 1\n", "dir/b.yaml": "b: 2\n"}, "https://example.com/repo", "main@sha1:abc")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(digest).To(HavePrefix("sha256:"))
			g.Expect(r.Tag("app/manifests", "v1.0.0", "latest")).To(Succeed())
			g.Expect(r.Tag("app/manifests", digest, "stable")).To(Succeed())
			r.ResetCounts()

			ref, err := name.ParseReference(r.Repo("app/manifests") + ":latest")
			g.Expect(err).NotTo(HaveOccurred())
			desc, err := remote.Head(ref, r.Options()...)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(desc.Digest.String()).To(Equal(digest))
			img, err := remote.Image(ref, r.Options()...)
			g.Expect(err).NotTo(HaveOccurred())
			m, err := img.Manifest()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(m.Config.MediaType)).To(Equal(FluxConfigMediaType))
			g.Expect(m.Layers).To(HaveLen(1))
			g.Expect(string(m.Layers[0].MediaType)).To(Equal(FluxContentMediaType))
			g.Expect(m.Annotations).To(HaveKeyWithValue(RevisionAnnotation, "main@sha1:abc"))
			layers, err := img.Layers()
			g.Expect(err).NotTo(HaveOccurred())
			rc, err := layers[0].Compressed()
			g.Expect(err).NotTo(HaveOccurred())
			rc.Close()
			c := r.Counts()
			g.Expect(c.ManifestHeads).To(Equal(int64(1)))
			g.Expect(c.ManifestGets).To(Equal(int64(1)))
			g.Expect(c.BlobGets).To(BeNumerically(">=", 1))

			tags, err := remote.List(ref.Context(), r.Options()...)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(tags).To(ConsistOf("v1.0.0", "latest", "stable"))
			g.Expect(r.Counts().TagLists).To(Equal(int64(1)))
		})
	}
}

func TestRegistryRefusesWrongCredentials(t *testing.T) {
	g := NewWithT(t)
	r := New(t, Options{Username: "flux", Password: "s3cret"})
	_, err := r.PushFiles("app", "v1", map[string]string{"a": "a"}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	ref, _ := name.ParseReference(r.Repo("app") + ":v1")
	_, err = remote.Head(ref, remote.WithAuth(&authn.Basic{Username: "flux", Password: "wrong"}))
	g.Expect(err).To(MatchError(ContainSubstring("401")))
	g.Expect(r.Counts().Unauthorized).To(BeNumerically(">=", 1))
	g.Expect(string(r.DockerConfigJSON("flux", "s3cret"))).To(ContainSubstring(r.Host))
}

func TestRegistryRefusesUntrustedClients(t *testing.T) {
	g := NewWithT(t)
	r := New(t, Options{MutualTLS: true})
	img, err := random.Image(64, 2)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.PushImage("img", "v1", img)
	g.Expect(err).NotTo(HaveOccurred())
	ref, _ := name.ParseReference(r.Repo("img") + ":v1")
	_, err = remote.Head(ref) // neither the CA nor a client certificate
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.ToLower(err.Error())).To(ContainSubstring("certificate"))
}

func TestPushMultiLayerUntagged(t *testing.T) {
	g := NewWithT(t)
	r := New(t, Options{})
	digest, err := r.Push("multi", "", Artifact{
		ConfigMediaType: "application/vnd.example.config+json",
		Layers:          []Layer{{MediaType: "text/plain", Data: []byte("one")}, {MediaType: "application/octet-stream", Data: []byte("two")}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	ref, _ := name.ParseReference(r.Repo("multi") + "@" + digest)
	img, err := remote.Image(ref, r.Options()...)
	g.Expect(err).NotTo(HaveOccurred())
	m, err := img.Manifest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Layers).To(HaveLen(2))
	g.Expect(string(m.Layers[1].MediaType)).To(Equal("application/octet-stream"))
}
