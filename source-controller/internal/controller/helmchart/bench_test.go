package helmchart_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

const (
	benchIndexSize = 48 << 20 // under the default 50 MiB index limit
	benchCharts    = 20       // HelmCharts resolving from the index at once
	benchVersions  = 100      // versions per chart in the index
)

// BenchmarkLargeIndex serves a generated ~48 MiB index.yaml, reconciles its HelmRepository
// and then benchCharts HelmCharts resolving from it at once, and reports the peak resident
// memory the controller added over its idle state (the API server runs in other processes).
func BenchmarkLargeIndex(b *testing.B) {
	g := NewWithT(b)
	srv := newServer(b, helmrepo.Options{})
	versions, err := writeLargeIndex(filepath.Join(srv.Dir(), "index.yaml"), benchIndexSize)
	g.Expect(err).NotTo(HaveOccurred())
	for i := 0; i < benchCharts; i++ {
		_, err := srv.AddChart(helmrepo.ChartFiles(fmt.Sprintf("chart-%d", i), fmt.Sprintf("1.0.%d", benchVersions-1)))
		g.Expect(err).NotTo(HaveOccurred())
	}
	fi, err := os.Stat(filepath.Join(srv.Dir(), "index.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		repoPeak, chartsPeak := reconcileLargeIndex(b, g, srv.URL())
		b.ReportMetric(repoPeak, "MiB-added-peak-repository")
		b.ReportMetric(chartsPeak, "MiB-added-peak-charts")
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "index-MiB")
	b.ReportMetric(float64(versions), "index-versions")
}

// reconcileLargeIndex measures one round in a new namespace and returns the added peaks.
func reconcileLargeIndex(b *testing.B, g *WithT, url string) (float64, float64) {
	ctx := context.Background()
	ns := testenv.NewNamespace(b, env.Client)
	runtime.GC()
	debug.FreeOSMemory()
	g.Expect(rss.Reset(0)).To(Succeed())
	idle, err := rss.Of(0)
	g.Expect(err).NotTo(HaveOccurred())

	repo := newRepository(ns, "big", url)
	create(g, repo)
	sourcetest.ReadyWith(b, env.Client, repo, fluxmeta.SucceededReason)
	afterRepo, err := rss.Of(0)
	g.Expect(err).NotTo(HaveOccurred())

	charts := make([]*sourcev1.HelmChart, benchCharts)
	for i := range charts {
		charts[i] = newChart(ns, fmt.Sprintf("chart-%d", i), sourcev1.HelmRepositoryKind, "big", fmt.Sprintf("chart-%d", i))
		create(g, charts[i])
	}
	for _, c := range charts {
		got := statuscheck.Ready(b, env.Client, c)
		g.Expect(got.Status.Artifact.Revision).To(Equal(fmt.Sprintf("1.0.%d", benchVersions-1)))
	}
	end, err := rss.Of(0)
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range charts {
		g.Expect(env.Client.Delete(ctx, c)).To(Succeed())
	}
	g.Expect(env.Client.Delete(ctx, repo)).To(Succeed())
	b.Logf("idle RSS %.1f MiB; peak after the repository %.1f MiB; peak after %d charts %.1f MiB",
		rss.MiB(idle.Current), rss.MiB(afterRepo.Peak), benchCharts, rss.MiB(end.Peak))
	return rss.MiB(afterRepo.Peak - idle.Current), rss.MiB(end.Peak - idle.Current)
}

// writeLargeIndex writes an index of about size bytes in the layout Helm writes, with
// benchVersions versions per chart and realistic metadata, and returns the number of versions.
func writeLargeIndex(path string, size int64) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var written int64
	write := func(s string) { n, _ := w.WriteString(s); written += int64(n) }
	write("apiVersion: v1\nentries:\n")
	desc := strings.Repeat("A chart that deploys a service with sensible defaults. ", 4)
	versions := 0
	for c := 0; written < size; c++ {
		name := fmt.Sprintf("chart-%d", c)
		write("  " + name + ":\n")
		for v := benchVersions - 1; v >= 0 && written < size; v-- {
			versions++
			write(fmt.Sprintf(`  - annotations:
      category: Infrastructure
      licenses: Apache-2.0
    apiVersion: v2
    appVersion: 2.%d.0
    created: "2024-01-%02dT10:00:00.000000000Z"
    dependencies:
    - name: common
      repository: oci://registry.example.com/charts
      tags:
      - common
      version: 2.x.x
    description: %s
    digest: %064x
    home: https://example.com/%s
    icon: https://example.com/%s/icon.svg
    keywords:
    - infrastructure
    - %s
    maintainers:
    - name: Example Maintainers
      url: https://github.com/example/charts
    name: %s
    sources:
    - https://github.com/example/charts/tree/main/%s
    urls:
    - %s-1.0.%d.tgz
    version: 1.0.%d
`, v, v%28+1, desc, c*1000+v, name, name, name, name, name, name, v, v))
		}
	}
	write("generated: \"2024-01-01T00:00:00Z\"\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return versions, f.Close()
}
