package action

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{
		Workloads: true,
		Setup:     func(e *testenv.Env) error { env = e; return nil },
	}))
}

// packageChart packages testdata/charts/<name> into a chart archive, as a chart repository
// serves it, and loads the archive.
func packageChart(t testing.TB, name string) *chart.Chart {
	t.Helper()
	src, err := loader.LoadDir(filepath.Join("testdata", "charts", name))
	if err != nil {
		t.Fatalf("failed to load chart %s: %v", name, err)
	}
	archive, err := chartutil.Save(src, t.TempDir())
	if err != nil {
		t.Fatalf("failed to package chart %s: %v", name, err)
	}
	chrt, err := loader.Load(archive)
	if err != nil {
		t.Fatalf("failed to load the archive of chart %s: %v", name, err)
	}
	return chrt
}

// newClient returns a Client whose releases live in and target ns.
func newClient(t testing.TB, ns string) *Client {
	t.Helper()
	c, err := New(Config{RESTConfig: env.Config, StorageNamespace: ns, Namespace: ns, Log: t.Logf})
	if err != nil {
		t.Fatalf("failed to create the client: %v", err)
	}
	return c
}

// ctxFor returns a context bounded by the rollout timeout, cancelled when the test ends.
func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.RolloutTimeout)
	t.Cleanup(cancel)
	return ctx
}

// install installs the testdata chart name as release rel in ns, waiting for readiness,
// and fails the test on error.
func install(t testing.TB, c *Client, name, rel string, vals map[string]any) *release.Release {
	t.Helper()
	r, err := c.Install(ctxFor(t), packageChart(t, name), vals, InstallOptions{ReleaseName: rel, Wait: true, WaitForJobs: true})
	if err != nil {
		t.Fatalf("failed to install %s: %v", rel, err)
	}
	return r
}
