package action

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// helmCLI builds (or finds in the cache) the helm v3 CLI pinned in the tools module and
// returns a function running it against the test environment.
func helmCLI(t *testing.T) func(args ...string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	build := exec.Command(filepath.Join("..", "..", "..", "hack", "tools.sh"), "helm")
	build.Stdout, build.Stderr = &out, &errOut
	if err := build.Run(); err != nil {
		t.Fatalf("failed to build the helm CLI: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	bin := lines[len(lines)-1]
	home := t.TempDir()
	return func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--kubeconfig", env.Kubeconfig)...)
		cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+filepath.Join(home, "config"),
			"HELM_CACHE_HOME="+filepath.Join(home, "cache"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return b
	}
}

// cliRelease is a row of `helm ls -o json` or `helm history -o json`.
type cliRelease struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Revision  any    `json:"revision"`
	Status    string `json:"status"`
	Chart     string `json:"chart"`
}

func TestHelmCLISeesReleases(t *testing.T) {
	g := NewWithT(t)
	helm := helmCLI(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "schema", "cli", nil)
	_, err := c.Upgrade(ctxFor(t), packageChart(t, "schema"), map[string]any{"replicas": 2}, UpgradeOptions{ReleaseName: "cli"})
	g.Expect(err).NotTo(HaveOccurred())

	var ls []cliRelease
	g.Expect(json.Unmarshal(helm("ls", "-A", "-o", "json"), &ls)).To(Succeed())
	g.Expect(ls).To(ContainElement(cliRelease{Name: "cli", Namespace: ns, Revision: "2", Status: "deployed", Chart: "schema-0.1.0"}))

	var hist []cliRelease
	g.Expect(json.Unmarshal(helm("history", "cli", "-n", ns, "-o", "json"), &hist)).To(Succeed())
	g.Expect(hist).To(HaveLen(2))
	g.Expect(hist[0].Revision).To(BeEquivalentTo(1))
	g.Expect(hist[0].Status).To(Equal("superseded"))
	g.Expect(hist[1].Revision).To(BeEquivalentTo(2))
	g.Expect(hist[1].Status).To(Equal("deployed"))

	// And the other way round: a rollback by the CLI is the release's next revision.
	helm("rollback", "cli", "1", "-n", ns)
	last, err := c.LastRelease("cli")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Version).To(Equal(3))
	g.Expect(last.Info.Status).To(Equal(release.StatusDeployed))
	g.Expect(last.Config).To(BeEmpty(), "revision 1 had no values of its own")
}
