package helmchart_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	helmv3chart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env   *testenv.Env
	st    *storage.Storage
	suite *sourcetest.Suite
	// tunnel is the HTTPS proxy of the test binary's environment.
	tunnel *httpproxy.Proxy
)

// TestMain runs the HelmRepository and HelmChart reconcilers (GitRepositories and Buckets get
// their status from the tests).
func TestMain(m *testing.M) {
	// The registry clients of OCI HelmRepositories reach registries through the proxy of the
	// environment, as Flux's do. Loopback addresses are never proxied, so only the cloud
	// hostnames of TestCloudProviders, routed by the test, go through it; Go reads the
	// variable once, hence here.
	tunnel = httpproxy.StartTunnel()
	if err := os.Setenv("HTTPS_PROXY", tunnel.URL()); err != nil {
		tunnel.Close()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := sourcetest.Run(m, sourcetest.Options{
		Kinds: []client.Object{&sourcev1.HelmRepository{}, &sourcev1.HelmChart{}},
		Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, d *controller.Deps) error {
			if err := helmrepository.Setup(mgr, rt, d); err != nil {
				return err
			}
			return helmchart.Setup(mgr, rt, d)
		},
		Started: func(s *sourcetest.Suite) { env, st, suite = s.Env, s.Storage, s },
	})
	tunnel.Close()
	os.Exit(code)
}

func newServer(t testing.TB, opts helmrepo.Options, charts ...map[string]string) *helmrepo.Server {
	t.Helper()
	s, err := helmrepo.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	publish(t, s, charts...)
	return s
}

func publish(t testing.TB, s *helmrepo.Server, charts ...map[string]string) {
	t.Helper()
	for _, files := range charts {
		if _, err := s.AddChart(files); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
}

func newRepository(ns, name, url string) *sourcev1.HelmRepository {
	return &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.HelmRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}},
	}
}

func newChart(ns, name, kind, source, chart string, mutate ...func(*sourcev1.HelmChart)) *sourcev1.HelmChart {
	obj := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmChartSpec{Chart: chart, Interval: metav1.Duration{Duration: time.Hour},
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: kind, Name: source}},
	}
	for _, m := range mutate {
		m(obj)
	}
	return obj
}

// object is a toolkit object under test.
type object interface {
	client.Object
	fluxmeta.StatusObject
}

func create(g *WithT, objs ...client.Object) {
	for _, o := range objs {
		g.Expect(env.Client.Create(context.Background(), o)).To(Succeed())
	}
}

// loadArtifact downloads a chart artifact from the storage server and loads it.
func loadArtifact(g *WithT, a *fluxmeta.Artifact) *helmv3chart.Chart {
	g.Expect(a).NotTo(BeNil())
	resp, err := http.Get(a.URL)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	data, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(os.TempDir(), fmt.Sprintf("chart-%d.tgz", time.Now().UnixNano()))
	g.Expect(os.WriteFile(p, data, 0o644)).To(Succeed())
	defer os.Remove(p)
	c, err := loader.Load(p)
	g.Expect(err).NotTo(HaveOccurred())
	return c
}

func clientKey(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }
