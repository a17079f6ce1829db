package registry

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/gomega"
)

func TestParseDockerConfig(t *testing.T) {
	for _, tc := range []struct {
		name, doc, host, user string
		err                   string
	}{
		{"user and password", `{"auths":{"r.example:5000":{"username":"u","password":"p"}}}`, "r.example:5000", "u", ""},
		{"auth field", `{"auths":{"https://r.example/v1/":{"auth":"dTpw"}}}`, "r.example", "u", ""},
		{"docker hub", `{"auths":{"https://index.docker.io/v1/":{"username":"d","password":"p"}}}`, "index.docker.io", "d", ""},
		{"docker hub short", `{"auths":{"docker.io":{"username":"d","password":"p"}}}`, "index.docker.io", "d", ""},
		{"host with a path", `{"auths":{"ghcr.io/org":{"username":"g","password":"p"}}}`, "ghcr.io", "g", ""},
		{"bad json", `{`, "", "", "not valid JSON"},
		{"bad auth", `{"auths":{"r":{"auth":"!!"}}}`, "", "", "auth is not base64"},
		{"no colon", `{"auths":{"r":{"auth":"dXNlcg=="}}}`, "", "", "not user:password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			k, err := parseDockerConfig([]byte(tc.doc))
			if tc.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k).To(HaveKey(tc.host))
			g.Expect(k[tc.host].Username).To(Equal(tc.user))
		})
	}
}

// TestKeychainMatchesHost picks credentials by the registry host of the image, as Docker
// does: Docker Hub's short names use the index.docker.io entry, other hosts their own, and
// an image on a host no document names is pulled anonymously. The first document wins.
func TestKeychainMatchesHost(t *testing.T) {
	g := NewWithT(t)
	k, err := newKeychain([][]byte{
		[]byte(`{"auths":{"https://index.docker.io/v1/":{"username":"hub","password":"p"},"127.0.0.1:5000":{"username":"local","password":"p"}}}`),
		[]byte(`{"auths":{"127.0.0.1:5000":{"username":"second","password":"p"},"ghcr.io":{"username":"gh","password":"p"}}}`),
	})
	g.Expect(err).NotTo(HaveOccurred())
	for image, user := range map[string]string{
		"nginx": "hub", "library/nginx": "hub", "docker.io/org/app": "hub",
		"127.0.0.1:5000/app": "local", "ghcr.io/org/app": "gh", "quay.io/org/app": "",
	} {
		repo, err := name.NewRepository(image)
		g.Expect(err).NotTo(HaveOccurred())
		a, err := k.Resolve(repo)
		g.Expect(err).NotTo(HaveOccurred())
		cfg, err := a.Authorization()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cfg.Username).To(Equal(user), image)
		if user == "" {
			g.Expect(a).To(Equal(authn.Anonymous), image)
		}
	}
}

// FuzzParseDockerConfig feeds untrusted Secret data to the credentials parser: it must never
// panic, and every credential is keyed by a bare host.
func FuzzParseDockerConfig(f *testing.F) {
	f.Add([]byte(`{"auths":{"r.example:5000":{"username":"u","password":"p"}}}`))
	f.Add([]byte(`{"auths":{"https://r.example/v1/":{"auth":"dTpzZWNyZXQ="}}}`))
	f.Add([]byte(`{"auths":{"r":{"auth":"!!"}}}`))
	f.Add([]byte(`{"auths":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseDockerConfig(data)
		if err != nil {
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error names a value: %v", err)
			}
			return
		}
		for host := range k {
			if strings.Contains(host, "/") {
				t.Fatalf("host %q holds a path", host)
			}
		}
	})
}
