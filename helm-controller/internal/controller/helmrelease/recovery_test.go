package helmrelease

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
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
	statuscheck.Ready(t, k8s, hr)

	// A controller killed during an upgrade leaves the release pending.
	storage := driver.NewSecrets(kubernetes.NewForConfigOrDie(env.Config).CoreV1().Secrets(ns))
	rel, err := storage.Get("sh.helm.release.v1.pending.v1")
	g.Expect(err).NotTo(HaveOccurred())
	rel.Info.Status = release.StatusPendingUpgrade
	g.Expect(storage.Update("sh.helm.release.v1.pending.v1", rel)).To(Succeed())

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"message":"after"}`) })
	waitVersion(t, hr, 2)
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.History.Latest().Status).To(Equal(helmv2.SnapshotStatusDeployed))
	g.Eventually(func() []string {
		return statuscheck.Events(t, k8s, hr, helmv2.HelmReleaseKind)
	}, testenv.Timeout, testenv.Interval).Should(ContainElement(ContainSubstring("was left pending")))
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
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		c := conditions.Get(cur, fluxmeta.ReadyCondition)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Message).To(ContainSubstring(`"system:serviceaccount:` + ns + `:deployer" cannot`))
	})

	g.Expect(k8s.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer-admin", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns}},
	})).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.History.Latest().Version).To(Equal(1))
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
	got := statuscheck.NotReady(t, k8s, hr, helmv2.InitFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("failed to get kubeconfig Secret '" + ns + "/kubeconfig'"))

	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kubeconfig", Namespace: ns},
		Data: map[string][]byte{"value.yaml": kubeconfig, "other": []byte("not a kubeconfig")}})).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// A key names the one to read.
	keyed := newRelease(ns, "keyed", "app", "")
	keyed.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "kubeconfig", Key: "other"}}
	g.Expect(k8s.Create(ctx, keyed)).To(Succeed())
	got = statuscheck.NotReady(t, k8s, keyed, helmv2.InitFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("key 'other'"))
	statuscheck.Update(t, k8s, keyed, func(o *helmv2.HelmRelease) { o.Spec.KubeConfig.SecretRef.Key = "value.yaml" })
	statuscheck.Ready(t, k8s, keyed)
}
