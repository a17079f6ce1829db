package fleet

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestFleetStarts builds the six controller binaries, runs them against a real API server
// with Ferry's CRDs installed and Flux-style flags (including ones Ferry ignores), checks
// that each serves health and Prometheus metrics, and that each stops cleanly on SIGTERM.
func TestFleetStarts(t *testing.T) {
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{"../../deploy/crds"}, ErrorIfCRDPathMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	bin, err := Binaries(context.Background(), "../..", t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	f, err := Start(context.Background(), Options{Bin: bin, Kubeconfig: env.Kubeconfig, Dir: logs,
		ExtraArgs: []string{"--watch-all-namespaces=true", "--enable-oom-watch", "--feature-gates=OOMWatch=true"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, allLogs(logs))
	}
	for _, p := range f.Processes {
		resp, err := http.Get("http://" + p.MetricsAddr + "/metrics")
		if err != nil {
			t.Fatalf("%s metrics: %v", p.Name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
			t.Errorf("%s /metrics answered %d without runtime metrics", p.Name, resp.StatusCode)
		}
	}
	if err := f.Stop(); err != nil {
		t.Fatalf("%v\n%s", err, allLogs(logs))
	}
	if log := allLogs(logs); !strings.Contains(log, "flag has no effect in Ferry and is ignored") {
		t.Errorf("ignored flags were not logged:\n%s", log)
	}
}

func allLogs(dir string) string {
	var b strings.Builder
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(dir + "/" + e.Name())
		b.WriteString("== " + e.Name() + "\n" + string(data))
	}
	return b.String()
}
