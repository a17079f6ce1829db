package helmrelease

import (
	"context"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestPendingReleaseRecovered(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "pending", "app", "")
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	waitReady(t, hr)

	// A controller killed during an upgrade leaves the release pending.
	storage := driver.NewSecrets(kubernetes.NewForConfigOrDie(env.Config).CoreV1().Secrets(ns))
	rel, err := storage.Get("sh.helm.release.v1.pending.v1")
	g.Expect(err).NotTo(HaveOccurred())
	rel.Info.Status = release.StatusPendingUpgrade
	g.Expect(storage.Update("sh.helm.release.v1.pending.v1", rel)).To(Succeed())

	update(t, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"message":"after"}`) })
	g.Eventually(func() int { return get(g, hr).Status.History.Latest().Version }, testenv.RolloutTimeout, testenv.Interval).Should(Equal(2))
	got := waitReady(t, hr)
	g.Expect(got.Status.History.Latest().Status).To(Equal(helmv2.SnapshotStatusDeployed))
	g.Eventually(func() bool {
		var events corev1.EventList
		g.Expect(k8s.List(ctx, &events, client.InNamespace(ns))).To(Succeed())
		for _, e := range events.Items {
			if e.InvolvedObject.Name == "pending" && strings.Contains(e.Message, "was left pending") {
				return true
			}
		}
		return false
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	checkInvariants(t, hr)
}

func TestServiceAccountImpersonation(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "imp", "app", "")
	hr.Spec.ServiceAccountName = "deployer"
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// Without permissions the service account cannot even read the release storage.
	g.Eventually(func() string {
		c := conditions.Get(get(g, hr), fluxmeta.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionFalse {
			return ""
		}
		return c.Message
	}, testenv.Timeout, testenv.Interval).Should(ContainSubstring(`"system:serviceaccount:` + ns + `:deployer" cannot`))
	checkInvariants(t, hr)

	g.Expect(k8s.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer-admin", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns}},
	})).To(Succeed())
	got := waitReady(t, hr)
	g.Expect(got.Status.History.Latest().Version).To(Equal(1))
	checkInvariants(t, hr)
}

func TestKubeConfigSecret(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	kubeconfig, err := os.ReadFile(env.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())

	hr := newRelease(ns, "remote", "app", "")
	hr.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "kubeconfig"}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := waitCondition(t, hr, fluxmeta.ReadyCondition, metav1.ConditionFalse, helmv2.InitFailedReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("failed to get kubeconfig Secret '" + ns + "/kubeconfig'"))
	checkInvariants(t, hr)

	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kubeconfig", Namespace: ns},
		Data: map[string][]byte{"value.yaml": kubeconfig, "other": []byte("not a kubeconfig")}})).To(Succeed())
	waitReady(t, hr)
	checkInvariants(t, hr)

	// A key names the one to read.
	keyed := newRelease(ns, "keyed", "app", "")
	keyed.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "kubeconfig", Key: "other"}}
	g.Expect(k8s.Create(ctx, keyed)).To(Succeed())
	got = waitCondition(t, keyed, fluxmeta.ReadyCondition, metav1.ConditionFalse, helmv2.InitFailedReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("key 'other'"))
	update(t, keyed, func(o *helmv2.HelmRelease) { o.Spec.KubeConfig.SecretRef.Key = "value.yaml" })
	waitReady(t, keyed)
	checkInvariants(t, keyed)
}
