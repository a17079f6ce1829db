package registry

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

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

// FuzzParseDockerConfig feeds untrusted Secret data to the credentials parser. It must never
// panic; parse the same document to the same credentials every time (a host spelled twice,
// "r" and "https://r/v1/", once made the winner depend on Go's map order); key every
// credential by a bare host; give Credentials the same credentials for that host; read back
// the same keychain from a document written from it; and never quote a password or auth
// value in an error.
func FuzzParseDockerConfig(f *testing.F) {
	f.Add([]byte(`{"auths":{"r.example:5000":{"username":"u","password":"p"}}}`))
	f.Add([]byte(`{"auths":{"https://r.example/v1/":{"auth":"dTpzZWNyZXQ="}}}`))
	f.Add([]byte(`{"auths":{"r":{"auth":"!!"}}}`))
	f.Add([]byte(`{"auths":{"r":{"auth":"c2VjcmV0LXZhbHVl"}}}`))
	f.Add([]byte(`{"auths":null}`))
	f.Add([]byte(`{"auths":{"docker.io":{"username":"a","password":"p"},"https://index.docker.io/v1/":{"username":"b","password":"p"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseDockerConfig(data)
		if err != nil {
			var doc dockerConfig
			_ = json.Unmarshal(data, &doc)
			for _, a := range doc.Auths {
				for _, v := range []string{a.Password, a.Auth} {
					if len(v) >= 4 && strings.Contains(err.Error(), v) {
						t.Fatalf("the error quotes a secret value: %v", err)
					}
				}
			}
			return
		}
		for range 16 {
			if again, _ := parseDockerConfig(data); !maps.Equal(again, k) {
				t.Fatalf("parsed twice, read %v then %v", k, again)
			}
		}
		doc := dockerConfig{Auths: map[string]dockerAuth{}}
		for host, a := range k {
			if host != Host(host) || strings.Contains(host, "/") {
				t.Fatalf("host %q is not bare", host)
			}
			if c, err := Credentials(data, host); err != nil || c != a {
				t.Fatalf("Credentials(%q) = %+v, %v; the keychain holds %+v", host, c, err, a)
			}
			doc.Auths[host] = dockerAuth{Username: a.Username, Password: a.Password}
		}
		if !validUTF8(k) {
			// JSON strings hold only UTF-8: credentials decoded from an "auth" of other
			// bytes cannot be written back as username and password unchanged.
			return
		}
		written, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := parseDockerConfig(written); err != nil || !maps.Equal(back, k) {
			t.Fatalf("the keychain %v written as %s reads back as %v, %v", k, written, back, err)
		}
	})
}

// validUTF8 reports whether every host, username and password of k is valid UTF-8.
func validUTF8(k keychain) bool {
	for host, a := range k {
		if !utf8.ValidString(host) || !utf8.ValidString(a.Username) || !utf8.ValidString(a.Password) {
			return false
		}
	}
	return true
}
