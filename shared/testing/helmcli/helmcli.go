// Package helmcli runs the helm v3 command-line tool pinned in the repository's tools/
// module (built once, then cached, by hack/tools.sh) in tests, so that a test can prove that
// what Ferry stores is what users see with `helm ls` and `helm history`.
package helmcli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Release is a row of `helm ls -o json` or `helm history -o json`.
type Release struct {
	// Name is the release name (helm ls only).
	Name string `json:"name"`
	// Namespace is the release namespace (helm ls only).
	Namespace string `json:"namespace"`
	// Revision is the release version: a string in helm ls, a number in helm history.
	Revision any `json:"revision"`
	// Status is the release status, such as deployed or superseded.
	Status string `json:"status"`
	// Chart is <chart name>-<chart version>.
	Chart string `json:"chart"`
}

// New builds (or finds in the cache) the helm CLI with hack/tools.sh of the repository at
// repoRoot and returns a function that runs it against the cluster of kubeconfig, with a
// Helm home of its own, and returns its standard output; a failing command fails tb.
func New(tb testing.TB, repoRoot, kubeconfig string) func(args ...string) []byte {
	tb.Helper()
	var out, errOut bytes.Buffer
	build := exec.Command(filepath.Join(repoRoot, "hack", "tools.sh"), "helm")
	build.Stdout, build.Stderr = &out, &errOut
	if err := build.Run(); err != nil {
		tb.Fatalf("failed to build the helm CLI: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	bin := lines[len(lines)-1]
	home := tb.TempDir()
	return func(args ...string) []byte {
		tb.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig,
			"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
			"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
			"HELM_DATA_HOME="+filepath.Join(home, "data"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			tb.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return b
	}
}
