package action

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestSchemaRejectsValues(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)

	_, err := c.Install(ctxFor(t), packageChart(t, "schema"), map[string]any{"replicas": 0}, InstallOptions{ReleaseName: "bad"})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to install release bad"),
		ContainSubstring("values don't meet the specifications of the schema"), ContainSubstring("replicas"))))
	last, err := c.LastRelease("bad")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last).To(BeNil(), "nothing is recorded for values the chart rejects")

	rel, err := c.Install(ctxFor(t), packageChart(t, "schema"), map[string]any{"replicas": 0},
		InstallOptions{ReleaseName: "bad", DisableSchemaValidation: true})
	g.Expect(err).NotTo(HaveOccurred(), "disableSchemaValidation skips the schema")
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))
}

func TestTemplateError(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)

	_, err := c.Install(ctxFor(t), packageChart(t, "app"), map[string]any{"message": nil}, InstallOptions{ReleaseName: "broken"})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to install release broken"),
		ContainSubstring("templates/configmap.yaml"), ContainSubstring("values.message is required"))))
}

func TestHookFailure(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)

	rel, err := c.Install(ctxFor(t), packageChart(t, "hooks"), map[string]any{"failHook": true},
		InstallOptions{ReleaseName: "hooked", Timeout: 30 * time.Second})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to install release hooked"),
		ContainSubstring("pre-install"), ContainSubstring("hooked-pre"), ContainSubstring("DeadlineExceeded"))))
	g.Expect(rel.Info.Status).To(Equal(release.StatusFailed))
	last, err := c.LastRelease("hooked")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Info.Status).To(Equal(release.StatusFailed), "the failure is recorded")
}

func TestUpgradeNeverReadyTimesOut(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "app", "app", nil)

	stuck := map[string]any{"nodeSelector": map[string]any{"ferry.test/no-such-node": "true"}}
	rel, err := c.Upgrade(ctxFor(t), packageChart(t, "app"), stuck,
		UpgradeOptions{ReleaseName: "app", Wait: true, Timeout: 3 * time.Second})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to upgrade release app"),
		ContainSubstring("timed out waiting for 1 object(s) to become Current"), ContainSubstring("Deployment/"+ns+"/app"))))
	g.Expect(rel.Version).To(Equal(2))
	g.Expect(rel.Info.Status).To(Equal(release.StatusFailed))

	// Remediation by rollback brings back the ready revision.
	g.Expect(c.Rollback(ctxFor(t), "app", RollbackOptions{Wait: true, Timeout: time.Minute})).To(Succeed())
	last, err := c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Version).To(Equal(3))
	g.Expect(last.Info.Status).To(Equal(release.StatusDeployed))
}
