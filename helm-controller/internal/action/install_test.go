package action

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestInstallUpgradeUninstall(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)

	last, err := c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last).To(BeNil())

	rel := install(t, c, "app", "app", nil)
	g.Expect(rel.Version).To(Equal(1))
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))

	var dep appsv1.Deployment
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, &dep)).To(Succeed())
	g.Expect(dep.Status.AvailableReplicas).To(BeEquivalentTo(1), "Install with Wait returns once the Deployment is available")
	g.Expect(dep.Labels).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "Helm"))
	g.Expect(dep.Annotations).To(HaveKeyWithValue("meta.helm.sh/release-name", "app"))

	up, err := c.Upgrade(ctxFor(t), packageChart(t, "app"), map[string]any{"replicas": 2, "message": "bye"},
		UpgradeOptions{ReleaseName: "app", Wait: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(up.Version).To(Equal(2))
	g.Expect(up.Info.Status).To(Equal(release.StatusDeployed))
	g.Expect(up.Config).To(HaveKeyWithValue("message", "bye"))
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, &dep)).To(Succeed())
	g.Expect(dep.Status.AvailableReplicas).To(BeEquivalentTo(2))

	last, err = c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Version).To(Equal(2))
	hist, err := c.History("app", 0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hist).To(HaveLen(2))
	g.Expect(hist[0].Version).To(Equal(2))
	g.Expect(hist[1].Info.Status).To(Equal(release.StatusSuperseded))
	short, err := c.History("app", 1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(short).To(HaveLen(1))

	// The revisions are stored as the helm CLI stores them.
	var secrets corev1.SecretList
	g.Expect(env.Client.List(context.Background(), &secrets, client.InNamespace(ns), client.MatchingLabels{"owner": "helm", "name": "app"})).To(Succeed())
	names := []string{}
	for _, s := range secrets.Items {
		names = append(names, s.Name)
		g.Expect(string(s.Type)).To(Equal("helm.sh/release.v1"))
	}
	g.Expect(names).To(ConsistOf("sh.helm.release.v1.app.v1", "sh.helm.release.v1.app.v2"))

	res, err := c.Uninstall(ctxFor(t), "app", UninstallOptions{Wait: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Release.Info.Status).To(Equal(release.StatusUninstalled))
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app-config"}, &corev1.ConfigMap{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the release's objects are deleted: %v", err)
	last, err = c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last).To(BeNil(), "without keepHistory the revisions are deleted")

	res, err = c.Uninstall(ctxFor(t), "app", UninstallOptions{})
	g.Expect(err).NotTo(HaveOccurred(), "uninstalling a release that is gone is not an error")
	g.Expect(res).To(BeNil())
}

func TestUninstallKeepHistory(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "schema", "kept", nil)

	_, err := c.Uninstall(ctxFor(t), "kept", UninstallOptions{KeepHistory: true, Description: "removed by test"})
	g.Expect(err).NotTo(HaveOccurred())
	last, err := c.LastRelease("kept")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Info.Status).To(Equal(release.StatusUninstalled))
	g.Expect(last.Info.Description).To(Equal("removed by test"))

	res, err := c.Uninstall(ctxFor(t), "kept", UninstallOptions{KeepHistory: true})
	g.Expect(err).NotTo(HaveOccurred(), "an uninstalled release with kept history uninstalls again as a no-op")
	g.Expect(res).To(BeNil())

	rel, err := c.Install(ctxFor(t), packageChart(t, "schema"), nil, InstallOptions{ReleaseName: "kept", Replace: true})
	g.Expect(err).NotTo(HaveOccurred(), "replace reuses the name of an uninstalled release")
	g.Expect(rel.Version).To(Equal(2))
}
