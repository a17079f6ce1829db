package action

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/health"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestLegacyWait: with LegacyWait, installs wait with Helm 3's checks, which know workloads
// but take any custom resource as ready, within the action's timeout; the kinds the custom
// health checks name are still decided by them.
func TestLegacyWait(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	const group = "legacy.actions.ferry.test"
	thingCRD(t, group, apiextensionsv1.NamespaceScoped)
	// kstatus reads a Ready condition that is False as not ready; Helm's checks ignore it.
	notReady := thingChart(group, "  conditions:\n  - type: Ready\n    status: \"False\"\n    reason: Waiting\n    message: not yet\n")
	newWith := func(cfg Config) *Client {
		cfg.RESTConfig, cfg.StorageNamespace, cfg.Namespace, cfg.Log = env.Config, ns, ns, t.Logf
		c, err := New(cfg)
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	short := InstallOptions{Wait: true, Timeout: 2 * time.Second}
	installAs := func(c *Client, name string, o InstallOptions) error {
		o.ReleaseName = name
		_, err := c.Install(ctxFor(t), notReady, nil, o)
		return err
	}

	g.Expect(installAs(newWith(Config{}), "poller", short)).To(MatchError(ContainSubstring(
		"failed to wait for the release's resources: timed out waiting for 1 object(s) to become Current: Thing/" + ns + "/poller")))
	legacy := newWith(Config{LegacyWait: true})
	g.Expect(installAs(legacy, "legacy", short)).To(Succeed())

	// A kind the health checks name is theirs to decide, whatever the strategy.
	checks, err := health.NewChecks([]fluxmeta.CustomHealthCheck{{APIVersion: group + "/v1", Kind: "Thing", Current: "spec.size == 2"}})
	g.Expect(err).NotTo(HaveOccurred())
	checked := newWith(Config{LegacyWait: true, HealthChecks: checks,
		Checked: func(apiVersion, kind string) bool { return apiVersion == group+"/v1" && kind == "Thing" }})
	g.Expect(installAs(checked, "checked", short)).To(MatchError(ContainSubstring(
		"timed out waiting for 1 object(s) to become Current: Thing/" + ns + "/checked: InProgress: Thing: no health check is true yet")))

	// Workloads: a Deployment whose pods are never scheduled is not ready; the timeout ends
	// the wait with the same shape of message as kstatus's.
	start := time.Now()
	stuck := map[string]any{"nodeSelector": map[string]any{"ferry.test/no-such-node": "true"}}
	_, err = legacy.Install(ctxFor(t), packageChart(t, "app"), stuck, InstallOptions{ReleaseName: "stuck", Wait: true, Timeout: 3 * time.Second})
	g.Expect(err).To(MatchError(ContainSubstring(
		"failed to wait for the release's resources: timed out waiting for 1 object(s) to become ready: Deployment/" + ns + "/stuck")))
	g.Expect(time.Since(start)).To(BeNumerically("<", 30*time.Second), "the timeout bounds the wait")

	// Pods that run (on KWOK's nodes) make it ready; Install returns once they do.
	_, err = legacy.Install(ctxFor(t), packageChart(t, "app"), map[string]any{"replicas": 2}, InstallOptions{ReleaseName: "app", Wait: true, Timeout: time.Minute})
	g.Expect(err).NotTo(HaveOccurred())
	var dep appsv1.Deployment
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, &dep)).To(Succeed())
	g.Expect(dep.Status.ReadyReplicas).To(BeEquivalentTo(2))
}
