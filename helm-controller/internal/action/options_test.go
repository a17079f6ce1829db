package action

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestUpgradeCleanupOnFail(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "app", "app", nil)

	extra := appendRenderer("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added-by-upgrade\ndata: {}")
	stuck := map[string]any{"nodeSelector": map[string]any{"ferry.test/no-such-node": "true"}}
	_, err := c.Upgrade(ctxFor(t), packageChart(t, "app"), stuck, UpgradeOptions{ReleaseName: "app",
		Wait: true, Timeout: 2 * time.Second, CleanupOnFail: true, PostRenderer: extra})
	g.Expect(err).To(MatchError(ContainSubstring("timed out waiting")))
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "added-by-upgrade"}, &corev1.ConfigMap{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "cleanupOnFail deletes what the failed upgrade created: %v", err)
}

func TestUpgradePreserveValues(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	install(t, c, "app", "app", map[string]any{"message": "kept", "replicas": 2})

	rel, err := c.Upgrade(ctxFor(t), packageChart(t, "app"), map[string]any{"replicas": 1},
		UpgradeOptions{ReleaseName: "app", PreserveValues: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Config).To(Equal(map[string]any{"message": "kept", "replicas": 1}))

	rel, err = c.Upgrade(ctxFor(t), packageChart(t, "app"), map[string]any{"replicas": 1}, UpgradeOptions{ReleaseName: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Config).To(Equal(map[string]any{"replicas": 1}), "without preserveValues only the given values count")
	var cm corev1.ConfigMap
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app-config"}, &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("message", "hello"))
}
