package action

import (
	"fmt"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/client-go/rest"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestConcurrentReleasesShareClients(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	cache := NewCache(0)
	chrt := packageChart(t, "schema")

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each reconcile builds its own REST config; the identity is what is shared.
			c, err := New(Config{RESTConfig: rest.CopyConfig(env.Config), StorageNamespace: ns, Namespace: ns, Cache: cache})
			if err == nil {
				_, err = c.Install(ctxFor(t), chrt, map[string]any{"replicas": i + 1}, InstallOptions{ReleaseName: fmt.Sprintf("r%d", i)})
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		g.Expect(err).NotTo(HaveOccurred(), "release r%d", i)
	}
	g.Expect(cache.entries).To(HaveLen(1), "one identity, one set of clients")

	c := newClient(t, ns)
	for i := range n {
		rel, err := c.LastRelease(fmt.Sprintf("r%d", i))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))
		g.Expect(rel.Config).To(HaveKeyWithValue("replicas", BeEquivalentTo(i+1)))
	}
}

func TestCacheKeysByIdentity(t *testing.T) {
	g := NewWithT(t)
	cache := NewCache(2)
	as := func(user string) *rest.Config {
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate.UserName = user
		return cfg
	}
	a1, err := cache.get(as("system:serviceaccount:a:sa"))
	g.Expect(err).NotTo(HaveOccurred())
	a2, err := cache.get(as("system:serviceaccount:a:sa"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a2).To(BeIdenticalTo(a1), "the same identity shares its clients")
	b, err := cache.get(as("system:serviceaccount:b:sa"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b).NotTo(BeIdenticalTo(a1), "another service account gets its own clients")

	_, err = cache.get(as("system:serviceaccount:a:sa")) // a is now the most recently used
	g.Expect(err).NotTo(HaveOccurred())
	_, err = cache.get(as("system:serviceaccount:c:sa")) // evicts b, the least recently used
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cache.entries).To(HaveLen(2), "the cache keeps at most its size")
	g.Expect(cache.entries).To(HaveKey(identity(as("system:serviceaccount:a:sa"))), "the most recently used stays")
	g.Expect(cache.entries).NotTo(HaveKey(identity(as("system:serviceaccount:b:sa"))), "the least recently used goes")
}

// TestCacheKeysByCredentials: configs alike but for the credentials their transport adds get
// clients of their own.
func TestCacheKeysByCredentials(t *testing.T) {
	g := NewWithT(t)
	cache := NewCache(0)
	a1, err := cache.getFor(env.Config, "configmap/a/remote/digest-1")
	g.Expect(err).NotTo(HaveOccurred())
	a2, err := cache.getFor(env.Config, "configmap/a/remote/digest-1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a2).To(BeIdenticalTo(a1), "the same credentials share their clients")
	b, err := cache.getFor(env.Config, "configmap/b/remote/digest-1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b).NotTo(BeIdenticalTo(a1), "other credentials get their own clients")
	own, err := cache.get(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(own).NotTo(BeIdenticalTo(a1), "a config carrying its credentials is another identity")
}
