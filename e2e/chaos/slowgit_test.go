package chaos

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestChaosSlowGitServer is fault 5 of the chaos issue: one Git server answers every request
// 10 s late and another accepts connections and never answers. GitRepositories of both, with
// spec.timeout 5s, become Ready=False naming the timeout instead of holding a worker forever,
// and a GitRepository of a healthy server keeps answering reconcile requests meanwhile (its
// latency is logged), although the source-controller runs only --concurrent=2 workers.
func TestChaosSlowGitServer(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", appFiles(0, false))
	healthy := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	slow := slowProxy(t, healthy.URL, 10*time.Second)
	hang := hangingServer(t)

	objs := decode(t, ns, fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: healthy}
spec: {interval: 1h, url: %q, ref: {branch: master}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: slow}
spec: {interval: 1h, timeout: 5s, url: %q, ref: {branch: master}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: hang}
spec: {interval: 1h, timeout: 5s, url: %q, ref: {branch: master}}
`, healthy.RepoURL("app"), slow+"/app.git", "http://"+hang+"/app.git"))
	apply(t, objs[0])
	g.Eventually(func(g Gomega) { expectReady(g, get(g, objs[0])) }, timeout, poll).Should(Succeed())

	apply(t, objs[1], objs[2])
	var worst time.Duration
	for _, o := range objs[1:] {
		g.Eventually(func(g Gomega) {
			// Meanwhile, the healthy repository answers a reconcile request.
			worst = max(worst, handled(t, g, objs[0]))
			status, reason, msg := ready(get(g, o))
			g.Expect(status).To(Equal("False"), "GitRepository %s", o.GetName())
			g.Expect(reason).To(Equal("GitOperationFailed"), msg)
			g.Expect(msg).To(Or(ContainSubstring("deadline exceeded"), ContainSubstring("timeout")), msg)
		}, timeout, poll).Should(Succeed())
		_, _, msg := ready(get(g, o))
		t.Logf("%s: Ready=False GitOperationFailed: %s", o.GetName(), msg)
	}
	t.Logf("the healthy GitRepository handled every reconcile request meanwhile, the slowest in %v", worst.Round(time.Millisecond))
}

// handled asks for a reconcile of o and returns how long it took to be handled.
func handled(t *testing.T, g Gomega, o *unstructured.Unstructured) time.Duration {
	at := requestReconcile(t, o)
	start := time.Now()
	g.Eventually(func(g Gomega) {
		got, _, _ := unstructured.NestedString(get(g, o).Object, "status", "lastHandledReconcileAt")
		g.Expect(got).To(Equal(at))
	}, timeout, poll/5).Should(Succeed(), "a healthy GitRepository is not served while others hang")
	return time.Since(start)
}

// slowProxy serves target's Git repositories, each request delay late.
func slowProxy(t *testing.T, target string, delay time.Duration) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			proxy.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hangingServer accepts connections on 127.0.0.1 and never answers; it returns its address.
func hangingServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
