package action

import (
	"encoding/json"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"

	"github.com/ferry-gitops/ferry/shared/testing/helmcli"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestHelmCLISeesReleases(t *testing.T) {
	g := NewWithT(t)
	helm := helmcli.New(t, filepath.Join("..", "..", ".."), env.Kubeconfig)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "schema", "cli", nil)
	_, err := c.Upgrade(ctxFor(t), packageChart(t, "schema"), map[string]any{"replicas": 2}, UpgradeOptions{ReleaseName: "cli"})
	g.Expect(err).NotTo(HaveOccurred())

	var ls []helmcli.Release
	g.Expect(json.Unmarshal(helm("ls", "-A", "-o", "json"), &ls)).To(Succeed())
	g.Expect(ls).To(ContainElement(helmcli.Release{Name: "cli", Namespace: ns, Revision: "2", Status: "deployed", Chart: "schema-0.1.0"}))

	var hist []helmcli.Release
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
