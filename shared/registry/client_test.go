package registry

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/gomega"

	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
)

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func repository(t *testing.T, s string) name.Repository {
	t.Helper()
	repo, err := name.NewRepository(s, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func pushTags(t *testing.T, r *testregistry.Registry, repo string, tags ...string) string {
	t.Helper()
	var digest string
	for _, tag := range tags {
		d, err := r.PushFiles(repo, tag, map[string]string{"tag": tag}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		digest = d
	}
	return digest
}

// TestListTagsWithAuthAndTLS lists a repository behind basic auth and mutual TLS, with
// credentials keyed as `docker login` writes them, and resolves a tag's digest.
func TestListTagsWithAuthAndTLS(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{Username: "flux", Password: "s3cret", MutualTLS: true})
	pushTags(t, r, "org/app", "1.0.0", "1.1.0")
	doc := []byte(fmt.Sprintf(`{"auths":{"https://%s/v1/":{"username":"flux","password":"s3cret"}}}`, r.Host))
	c := newClient(t, Config{DockerConfigs: [][]byte{doc}, CAData: r.CACert, CertData: r.ClientCert, KeyData: r.ClientKey, UserAgent: "ferry-test"})
	tags, err := c.ListTags(context.Background(), repository(t, r.Repo("org/app")))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tags).To(ConsistOf("1.0.0", "1.1.0"))

	digest := pushTags(t, r, "org/app", "2.0.0")
	tag, err := name.NewTag(r.Repo("org/app")+":2.0.0", name.StrictValidation)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Digest(context.Background(), tag)).To(Equal(digest))
}

// TestListTagsFollowsPages lists a repository whose registry serves its tags in pages
// linked by Link headers. (Over plain HTTP: go-containerregistry takes a loopback registry
// for an HTTP one and refuses HTTPS links from it.)
func TestListTagsFollowsPages(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{TagsPageSize: 10})
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("1.0.%d", i))
	}
	pushTags(t, r, "org/app", want...)
	r.ResetCounts()
	tags, err := newClient(t, Config{Insecure: true}).ListTags(context.Background(), repository(t, r.Repo("org/app")))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tags).To(ConsistOf(want))
	g.Expect(r.Counts().TagLists).To(Equal(int64(3)), "three pages of at most ten tags")
}

// TestExplainedFailures: each way a registry can fail is said in words a user understands,
// wrapping the error a caller picks a reason with, and never with the password.
func TestExplainedFailures(t *testing.T) {
	r := testregistry.New(t, testregistry.Options{Username: "flux", Password: "s3cret", TLS: true})
	pushTags(t, r, "app", "1.0.0")
	good := Config{DockerConfigs: [][]byte{r.DockerConfigJSON("flux", "s3cret")}, CAData: r.CACert}
	wrong := good
	wrong.DockerConfigs = [][]byte{r.DockerConfigJSON("flux", "wrong")}
	anonymous := Config{CAData: r.CACert}
	for _, tc := range []struct {
		name  string
		cfg   Config
		image string
		want  error
		msg   string
	}{
		{"anonymous", anonymous, r.Repo("app"), ErrAuth, "authentication failed (HTTP 401)"},
		{"wrong password", wrong, r.Repo("app"), ErrAuth, "authentication failed (HTTP 401)"},
		{"unknown repository", good, r.Repo("nope"), ErrNotFound, "failed to list the tags of " + r.Repo("nope") + ": not found"},
		{"unknown CA", Config{DockerConfigs: good.DockerConfigs}, r.Repo("app"), ErrTLS, "certificate signed by unknown authority"},
		{"unknown host", good, "no-such-host.invalid/app", ErrDNS, "the registry host does not resolve: no-such-host.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := newClient(t, tc.cfg).ListTags(context.Background(), repository(t, tc.image))
			g.Expect(err).To(MatchError(tc.want))
			g.Expect(err.Error()).To(ContainSubstring(tc.msg))
			g.Expect(err.Error()).NotTo(ContainSubstring("s3cret"))
		})
	}
}

// TestBadMaterial refuses unusable TLS material and credentials before any request.
func TestBadMaterial(t *testing.T) {
	g := NewWithT(t)
	r := testregistry.New(t, testregistry.Options{MutualTLS: true})
	_, err := New(Config{CAData: []byte("nope")})
	g.Expect(err).To(MatchError(ContainSubstring("ca.crt holds no PEM certificate")))
	_, err = New(Config{CertData: r.ClientCert})
	g.Expect(err).To(MatchError(ContainSubstring("tls.crt and tls.key must be set together")))
	_, err = New(Config{CertData: r.ClientCert, KeyData: r.CACert})
	g.Expect(err).To(MatchError(ContainSubstring("failed to load the client certificate")))
	_, err = New(Config{DockerConfigs: [][]byte{[]byte("{")}})
	g.Expect(err).To(MatchError(ContainSubstring("not valid JSON")))
}
