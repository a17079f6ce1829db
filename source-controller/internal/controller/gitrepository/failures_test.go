package gitrepository

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcetest "github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestBadInput checks that each bad spec or unreachable remote gives Ready=False with a
// reason and message a user understands: transient failures retry, bad specs stall.
func TestBadInput(t *testing.T) {
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	repos.Tag(t, "app", "v1.0.0", "master", "")
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	hanging := hangingServer(t)
	tests := []struct {
		name    string
		url     string
		mutate  func(*sourcev1.GitRepository)
		reason  string
		msg     string
		stalled bool
	}{
		{name: "unreachable host", url: "https://" + sourcetest.ClosedAddr(t) + "/repo.git", reason: sourcev1.GitOperationFailedReason, msg: "connection refused"},
		{name: "timeout", url: hanging + "/app.git", mutate: func(o *sourcev1.GitRepository) {
			o.Spec.Timeout = &metav1.Duration{Duration: time.Second}
		}, reason: sourcev1.GitOperationFailedReason, msg: "timeout"},
		{name: "missing repository", url: srv.RepoURL("nope"), reason: sourcev1.GitOperationFailedReason, msg: "repository not found"},
		{name: "missing branch", url: srv.RepoURL("app"), mutate: withRef(sourcev1.GitRepositoryRef{Branch: "nope"}),
			reason: sourcev1.GitOperationFailedReason, msg: "couldn't find remote ref 'refs/heads/nope'"},
		{name: "missing tag", url: srv.RepoURL("app"), mutate: withRef(sourcev1.GitRepositoryRef{Tag: "v9.9.9"}),
			reason: sourcev1.GitOperationFailedReason, msg: "couldn't find remote ref 'refs/tags/v9.9.9'"},
		{name: "no tag matches semver", url: srv.RepoURL("app"), mutate: withRef(sourcev1.GitRepositoryRef{SemVer: ">=2.0.0"}),
			reason: sourcev1.GitOperationFailedReason, msg: "no tag matches semver range '>=2.0.0'"},
		{name: "unknown commit", url: srv.RepoURL("app"), mutate: withRef(sourcev1.GitRepositoryRef{Commit: "0123456789abcdef0123456789abcdef01234567"}),
			reason: sourcev1.GitOperationFailedReason, msg: "failed to find commit '0123456789abcdef0123456789abcdef01234567'"},
		{name: "missing secret", url: srv.RepoURL("app"), mutate: func(o *sourcev1.GitRepository) {
			o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "absent"}
		}, reason: sourcev1.AuthenticationFailedReason, msg: "failed to get secret"},
		{name: "url without host", url: "https://", reason: sourcev1.URLInvalidReason, msg: "invalid url 'https://': no host", stalled: true},
		{name: "url that does not parse", url: "http://exa mple.com/repo.git", reason: sourcev1.URLInvalidReason, msg: "invalid url", stalled: true},
		{name: "bad semver range", url: srv.RepoURL("app"), mutate: withRef(sourcev1.GitRepositoryRef{SemVer: "not a range"}),
			reason: fluxmeta.UnsupportedSpecReason, msg: "invalid semver range 'not a range'", stalled: true},
		{name: "aws provider for another host", url: srv.RepoURL("app"), mutate: func(o *sourcev1.GitRepository) { o.Spec.Provider = sourcev1.GitProviderAWS },
			reason: sourcev1.InvalidProviderConfigurationReason, msg: "spec.provider aws logs in to AWS CodeCommit repositories", stalled: true},
		{name: "github provider without a secret", url: srv.RepoURL("app"), mutate: func(o *sourcev1.GitRepository) { o.Spec.Provider = sourcev1.GitProviderGitHub },
			reason: sourcev1.AuthenticationFailedReason, msg: "spec.provider github needs spec.secretRef naming a Secret with githubAppID"},
		{name: "include path escapes", url: srv.RepoURL("app"), mutate: func(o *sourcev1.GitRepository) {
			o.Spec.Include = []sourcev1.GitRepositoryInclude{{GitRepositoryRef: fluxmeta.LocalObjectReference{Name: "lib"}, ToPath: "../x"}}
		}, reason: fluxmeta.UnsupportedSpecReason, msg: "path '../x' must be relative", stalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, k8s)
			repo := newRepo(t, ns, "app", tt.url, tt.mutate)
			obj := statuscheck.NotReady(t, k8s, repo, tt.reason, tt.msg)
			g.Expect(obj.Status.Artifact).To(BeNil())
			if tt.stalled {
				g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Stalled=True/" + tt.reason)))
				g.Expect(conditionsOf(obj)).NotTo(ContainElement(HavePrefix("Reconciling")))
				return
			}
			g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Reconciling=True/ProgressingWithRetry")))
			g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("FetchFailed=True/" + tt.reason)))
		})
	}
}

func withRef(ref sourcev1.GitRepositoryRef) func(*sourcev1.GitRepository) {
	return func(o *sourcev1.GitRepository) { o.Spec.Reference = &ref }
}

// TestArtifactVanished checks that an artifact whose file vanished from disk is fetched
// again, and that a remote that is down then gives a clear failure.
func TestArtifactVanished(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	ns := testenv.NewNamespace(t, k8s)
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), nil)
	obj := statuscheck.Ready(t, k8s, repo)
	file := filepath.Join(store.Path(), filepath.FromSlash(obj.Status.Artifact.Path))

	fetches := repos.Fetches("app")
	g.Expect(os.Remove(file)).To(Succeed())
	obj = statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Ready=True")))
	g.Expect(repos.Fetches("app")).To(Equal(fetches + 1))
	g.Expect(file).To(BeARegularFile())
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", hash)))
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"a.yaml"}))

	g.Expect(os.Remove(file)).To(Succeed())
	srv.Close()
	statuscheck.RequestReconcile(t, k8s, repo)
	// The first failed reconcile says the artifact vanished (and drops it); the retries after
	// it, with no artifact left, say only that the fetch fails: the condition may already hold
	// the later message, the event keeps the first.
	obj = statuscheck.NotReady(t, k8s, repo, sourcev1.GitOperationFailedReason, "failed to fetch "+srv.RepoURL("app"))
	g.Eventually(func(g Gomega) []string { return statuscheck.Events(t, k8s, repo, sourcev1.GitRepositoryKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("the artifact vanished from storage and cannot be fetched again: failed to fetch " + srv.RepoURL("app"))))
	g.Expect(obj.Status.Artifact).To(BeNil())
	g.Expect(conditionsOf(obj)).NotTo(ContainElement(HavePrefix("ArtifactInStorage")))
}

// TestProxy checks that spec.proxySecretRef sends the Git traffic through the proxy, with
// its credentials.
func TestProxy(t *testing.T) {
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{})
	proxyURL, tunnels := connectProxy(t, "proxy-user", "proxy-pass")
	ns := testenv.NewNamespace(t, k8s)
	newSecret(t, ns, "ca", map[string][]byte{"ca.crt": srv.CA})
	newSecret(t, ns, "proxy", map[string][]byte{"address": []byte(proxyURL), "username": []byte("proxy-user"), "password": []byte("proxy-pass")})
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
		o.Spec.ProxySecretRef = &fluxmeta.LocalObjectReference{Name: "proxy"}
	})
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", hash)))
	g.Expect(tunnels.Load()).To(BeNumerically(">=", 1))
}

// hangingServer starts an HTTP server on 127.0.0.1 that never answers, and returns its URL.
func hangingServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// connectProxy starts an HTTP CONNECT proxy on 127.0.0.1 that requires basic credentials,
// and returns its URL and the count of tunnels it opened.
func connectProxy(t *testing.T, user, pass string) (string, *atomic.Int32) {
	t.Helper()
	var tunnels atomic.Int32
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Header.Get("Proxy-Authorization") != want {
			http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
			return
		}
		dst, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer dst.Close()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		tunnels.Add(1)
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(dst, conn) }()
		_, _ = io.Copy(conn, dst)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL, &tunnels
}
