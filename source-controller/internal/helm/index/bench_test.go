package index

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/repo"
)

// writeIndex writes an index of charts×versions versions in Helm's layout.
func writeIndex(b *testing.B, charts, versions int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "index.yaml")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "apiVersion: v1\nentries:\n")
	desc := strings.Repeat("A chart with sensible defaults. ", 8)
	for c := 0; c < charts; c++ {
		fmt.Fprintf(w, "  chart-%d:\n", c)
		for v := 0; v < versions; v++ {
			fmt.Fprintf(w, "  - apiVersion: v2\n    created: \"2024-01-01T00:00:00Z\"\n    description: %s\n    digest: %064x\n"+
				"    keywords:\n    - a\n    - b\n    maintainers:\n    - name: m\n      email: m@example.com\n    name: chart-%d\n"+
				"    urls:\n    - chart-%d-1.0.%d.tgz\n    version: 1.0.%d\n", desc, c*versions+v, c, c, v, v)
		}
	}
	fmt.Fprint(w, "generated: \"2024-01-01T00:00:00Z\"\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkParse compares the memory Parse allocates and retains for a ~10 MiB index with
// Helm's own loader; "retained-MiB" is the heap still in use while the result is alive.
func BenchmarkParse(b *testing.B) {
	p := writeIndex(b, 100, 200)
	fi, _ := os.Stat(p)
	load := map[string]func() (any, error){
		"compact": func() (any, error) {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return Parse(f)
		},
		"helm": func() (any, error) { return repo.LoadIndexFile(p) },
	}
	for _, name := range []string{"compact", "helm"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(fi.Size())
			var kept any
			for i := 0; i < b.N; i++ {
				x, err := load[name]()
				if err != nil {
					b.Fatal(err)
				}
				kept = x
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "retained-MiB")
			runtime.KeepAlive(kept)
		})
	}
}
