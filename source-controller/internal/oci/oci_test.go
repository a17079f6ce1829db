package oci

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/registry"
	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
)

var files = map[string]string{"deploy/app.yaml": "kind: ConfigMap\n", "README.md": "hello\n"}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func push(t *testing.T, r *testregistry.Registry, repo, tag string) string {
	t.Helper()
	d, err := r.PushFiles(repo, tag, files, "https://github.com/example/app", "main@sha1:0123456789")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestResolve(t *testing.T) {
	r := testregistry.New(t, testregistry.Options{})
	d1 := push(t, r, "app", "1.0.0")
	d2, err := r.PushFiles("app", "1.2.0", map[string]string{"a": "2"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	d3, _ := r.PushFiles("app", "2.0.0-rc.1", map[string]string{"a": "3"}, "", "")
	d4, _ := r.PushFiles("app", "1.3.0-dev", map[string]string{"a": "4"}, "", "")
	_ = r.Tag("app", "1.0.0", "latest")
	c := newClient(t, Config{})
	for _, tc := range []struct {
		name string
		ref  *sourcev1.OCIRepositoryRef
		want Resolved
	}{
		{"default latest", nil, Resolved{Tag: "latest", Digest: d1, Revision: "latest@" + d1}},
		{"tag", &sourcev1.OCIRepositoryRef{Tag: "1.2.0"}, Resolved{Tag: "1.2.0", Digest: d2, Revision: "1.2.0@" + d2}},
		{"semver", &sourcev1.OCIRepositoryRef{SemVer: ">=1.0.0 <2.0.0", Tag: "1.0.0"}, Resolved{Tag: "1.2.0", Digest: d2, Revision: "1.2.0@" + d2}},
		{"semver prerelease", &sourcev1.OCIRepositoryRef{SemVer: ">=2.0.0-0"}, Resolved{Tag: "2.0.0-rc.1", Digest: d3, Revision: "2.0.0-rc.1@" + d3}},
		{"semver filter", &sourcev1.OCIRepositoryRef{SemVer: ">=1.0.0-0", SemverFilter: ".*-dev$"}, Resolved{Tag: "1.3.0-dev", Digest: d4, Revision: "1.3.0-dev@" + d4}},
		{"tag pinned to a digest", &sourcev1.OCIRepositoryRef{Tag: "1.0.0@" + d1}, Resolved{Tag: "1.0.0", Digest: d1, Revision: "1.0.0@" + d1}},
		{"digest wins", &sourcev1.OCIRepositoryRef{Digest: d1, SemVer: "*", Tag: "1.2.0"}, Resolved{Digest: d1, Revision: d1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := c.Resolve(context.Background(), r.OCIURL("app"), tc.ref)
			g.Expect(err).NotTo(HaveOccurred())
			tc.want.Repository = r.Repo("app")
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestResolveCostsNoLayerPull(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{})
	push(t, r, "app", "v1")
	r.ResetCounts()
	_, err := newClient(t, Config{}).Resolve(context.Background(), r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Tag: "v1"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.Counts()).To(Equal(testregistry.Counts{ManifestHeads: 1}))
}

func TestResolveErrors(t *testing.T) {
	r := testregistry.New(t, testregistry.Options{Username: "flux", Password: "s3cret"})
	push(t, r, "app", "1.0.0")
	good := newClient(t, Config{Config: registry.Config{DockerConfigs: [][]byte{r.DockerConfigJSON("flux", "s3cret")}}})
	for _, tc := range []struct {
		name   string
		client *Client
		url    string
		ref    *sourcev1.OCIRepositoryRef
		want   error
		msg    string
	}{
		{"bad scheme", good, "https://" + r.Repo("app"), nil, ErrInvalid, "must start with oci://"},
		{"bad repository", good, "oci://" + r.Host + "/App:Tag", nil, ErrInvalid, "failed to parse URL"},
		{"bad semver", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{SemVer: "not a range"}, ErrInvalid, "semver range"},
		{"bad filter", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{SemVer: "*", SemverFilter: "("}, ErrInvalid, "semverFilter"},
		{"bad pinned digest", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Tag: "v1@sha256:zz"}, ErrInvalid, "digest of tag"},
		{"bad digest", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Digest: "sha256:nope"}, ErrInvalid, "digest"},
		{"missing tag", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Tag: "9.9.9"}, ErrNotFound, "resolve tag '9.9.9'"},
		{"no semver match", good, r.OCIURL("app"), &sourcev1.OCIRepositoryRef{SemVer: ">=5.0.0"}, ErrNoMatchingTag, "no tag matches '>=5.0.0'"},
		{"anonymous", newClient(t, Config{}), r.OCIURL("app"), nil, ErrAuth, "authentication failed"},
		{"wrong password", newClient(t, Config{Config: registry.Config{DockerConfigs: [][]byte{r.DockerConfigJSON("flux", "wrong")}}}), r.OCIURL("app"), nil, ErrAuth, "HTTP 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := tc.client.Resolve(context.Background(), tc.url, tc.ref)
			g.Expect(err).To(MatchError(tc.want))
			g.Expect(err.Error()).To(ContainSubstring(tc.msg))
			g.Expect(err.Error()).NotTo(ContainSubstring("s3cret"))
		})
	}
}

func TestResolveUnreachable(t *testing.T) {
	g := NewWithT(t)
	r, err := testregistry.Start(testregistry.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	url := r.OCIURL("app")
	r.Close()
	_, err = newClient(t, Config{Config: registry.Config{Insecure: true}}).Resolve(context.Background(), url, nil)
	g.Expect(err).To(MatchError(ContainSubstring("connection refused")))
}

func TestTLS(t *testing.T) {
	r := testregistry.New(t, testregistry.Options{MutualTLS: true})
	push(t, r, "app", "latest")
	t.Run("trusted CA and client certificate", func(t *testing.T) {
		c := newClient(t, Config{Config: registry.Config{CAData: r.CACert, CertData: r.ClientCert, KeyData: r.ClientKey}})
		_, err := c.Resolve(context.Background(), r.OCIURL("app"), nil)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := newClient(t, Config{}).Resolve(context.Background(), r.OCIURL("app"), nil)
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("certificate")))
	})
	t.Run("bad material", func(t *testing.T) {
		g := NewWithT(t)
		_, err := NewClient(Config{Config: registry.Config{CAData: []byte("nope")}})
		g.Expect(err).To(MatchError(ContainSubstring("ca.crt holds no PEM certificate")))
		_, err = NewClient(Config{Config: registry.Config{CertData: r.ClientCert}})
		g.Expect(err).To(MatchError(ContainSubstring("tls.crt and tls.key must be set together")))
		_, err = NewClient(Config{Config: registry.Config{DockerConfigs: [][]byte{[]byte("{")}}})
		g.Expect(err).To(MatchError(ContainSubstring("not valid JSON")))
	})
}

func TestPullExtractAndCopy(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{})
	content, err := testregistry.TarGz(files)
	g.Expect(err).NotTo(HaveOccurred())
	digest, err := r.Push("multi", "v1", testregistry.Artifact{
		Layers: []testregistry.Layer{
			{MediaType: "text/plain", Data: []byte("not a tarball")},
			{MediaType: testregistry.FluxContentMediaType, Data: content},
		},
		Annotations: map[string]string{testregistry.RevisionAnnotation: "v1"},
	})
	g.Expect(err).NotTo(HaveOccurred())
	c := newClient(t, Config{Config: registry.Config{Insecure: true}})
	res, err := c.Resolve(context.Background(), r.OCIURL("multi"), &sourcev1.OCIRepositoryRef{Tag: "v1"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Digest).To(Equal(digest))

	dir := t.TempDir()
	p, err := c.Pull(context.Background(), res, testregistry.FluxContentMediaType, sourcev1.OCILayerExtract, filepath.Join(dir, "x"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Metadata).To(HaveKeyWithValue(testregistry.RevisionAnnotation, "v1"))
	g.Expect(os.ReadFile(filepath.Join(dir, "x", "deploy", "app.yaml"))).To(BeEquivalentTo("kind: ConfigMap\n"))

	_, err = c.Pull(context.Background(), res, testregistry.FluxContentMediaType, sourcev1.OCILayerCopy, filepath.Join(dir, "layer.tgz"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.ReadFile(filepath.Join(dir, "layer.tgz"))).To(Equal(content))

	_, err = c.Pull(context.Background(), res, "", sourcev1.OCILayerExtract, filepath.Join(dir, "first"))
	g.Expect(err).To(MatchError(ErrLayer), "the first layer is not a tarball")
	_, err = c.Pull(context.Background(), res, "application/x-missing", sourcev1.OCILayerExtract, filepath.Join(dir, "y"))
	g.Expect(err).To(MatchError(ErrLayer))
	g.Expect(err.Error()).To(ContainSubstring("no layer has media type 'application/x-missing' (the layers have text/plain, " + testregistry.FluxContentMediaType + ")"))

	small := newClient(t, Config{Limits: artifact.Limits{MaxDownloadSize: 10}})
	_, err = small.Pull(context.Background(), res, testregistry.FluxContentMediaType, sourcev1.OCILayerCopy, filepath.Join(dir, "big.tgz"))
	g.Expect(err).To(MatchError(ContainSubstring("exceeds the limit of 10 bytes")))
}

func TestPullMissingDigest(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{})
	push(t, r, "app", "v1")
	c := newClient(t, Config{})
	missing := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	res, err := c.Resolve(context.Background(), r.OCIURL("app"), &sourcev1.OCIRepositoryRef{Digest: missing})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.Pull(context.Background(), res, "", "", t.TempDir())
	g.Expect(errors.Is(err, ErrNotFound)).To(BeTrue(), "%v", err)
}
