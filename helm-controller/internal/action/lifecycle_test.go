package action

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// testHook returns the release's test hook named name.
func testHook(g Gomega, rel *release.Release, name string) *release.Hook {
	for _, h := range rel.Hooks {
		if h.Name == name {
			return h
		}
	}
	g.Expect(name).To(BeEmpty(), "no hook named %s", name)
	return nil
}

func TestTestHooks(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "hooks", "tested", nil)

	rel, err := c.Test(ctxFor(t), "tested", TestOptions{Filters: []helmv2.Filter{{Name: "tested-test", Exclude: true}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testHook(g, rel, "tested-test").LastRun.Phase).To(BeEmpty(), "an excluded test does not run")

	rel, err = c.Test(ctxFor(t), "tested", TestOptions{Filters: []helmv2.Filter{{Name: "tested-test"}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testHook(g, rel, "tested-test").LastRun.Phase).To(Equal(release.HookPhaseSucceeded))
	last, err := c.LastRelease("tested")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testHook(g, last, "tested-test").LastRun.Phase).To(Equal(release.HookPhaseSucceeded), "the outcome is stored")

	_, err = c.Upgrade(ctxFor(t), packageChart(t, "hooks"), map[string]any{"failTest": true}, UpgradeOptions{ReleaseName: "tested"})
	g.Expect(err).NotTo(HaveOccurred())
	rel, err = c.Test(ctxFor(t), "tested", TestOptions{Timeout: 30 * time.Second})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to test release tested"),
		ContainSubstring("tested-test"), ContainSubstring("DeadlineExceeded"))))
	g.Expect(testHook(g, rel, "tested-test").LastRun.Phase).To(Equal(release.HookPhaseFailed))
}

func TestRollback(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "app", "app", nil)
	_, err := c.Upgrade(ctxFor(t), packageChart(t, "app"), map[string]any{"message": "bye"}, UpgradeOptions{ReleaseName: "app", Wait: true})
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Rollback(ctxFor(t), "app", RollbackOptions{Wait: true, MaxHistory: 2})).To(Succeed())
	last, err := c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Version).To(Equal(3))
	g.Expect(last.Info.Status).To(Equal(release.StatusDeployed))
	g.Expect(last.Info.Description).To(Equal("Rollback to 1"))
	var cm corev1.ConfigMap
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app-config"}, &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("message", "hello"))
	hist, err := c.History("app", 0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hist).To(HaveLen(2), "maxHistory prunes the oldest revisions")

	err = c.Rollback(ctxFor(t), "missing", RollbackOptions{})
	g.Expect(err).To(MatchError(ContainSubstring("failed to roll back release missing")))
}

func TestRecoverPending(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "schema", "upgrading", nil)
	store := driver.NewSecrets(c.shared.clientset.CoreV1().Secrets(ns))

	rec, err := c.RecoverPending("upgrading")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec).To(BeNil(), "a deployed release is left alone")

	// A controller killed in the middle of an upgrade leaves a pending revision behind.
	pending, err := c.LastRelease("upgrading")
	g.Expect(err).NotTo(HaveOccurred())
	pending.Version = 2
	pending.SetStatus(release.StatusPendingUpgrade, "Preparing upgrade")
	g.Expect(store.Create("sh.helm.release.v1.upgrading.v2", pending)).To(Succeed())

	chrt := packageChart(t, "schema")
	_, err = c.Upgrade(ctxFor(t), chrt, nil, UpgradeOptions{ReleaseName: "upgrading"})
	g.Expect(err).To(MatchError(ContainSubstring("another operation (install/upgrade/rollback) is in progress")))

	rec, err = c.RecoverPending("upgrading")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec.Version).To(Equal(2))
	g.Expect(rec.Info.Status).To(Equal(release.StatusFailed))
	g.Expect(rec.Info.Description).To(ContainSubstring("left pending-upgrade by an interrupted operation"))
	rel, err := c.Upgrade(ctxFor(t), chrt, nil, UpgradeOptions{ReleaseName: "upgrading"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Version).To(Equal(3))
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))

	// A first install interrupted the same way is unlocked and upgraded.
	first := &release.Release{Name: "installing", Namespace: ns, Version: 1, Chart: chrt,
		Config: map[string]any{}, Info: &release.Info{}}
	first.SetStatus(release.StatusPendingInstall, "Initial install underway")
	g.Expect(store.Create("sh.helm.release.v1.installing.v1", first)).To(Succeed())
	rec, err = c.RecoverPending("installing")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec.Info.Status).To(Equal(release.StatusFailed))
	rel, err = c.Upgrade(ctxFor(t), chrt, nil, UpgradeOptions{ReleaseName: "installing"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))
}
