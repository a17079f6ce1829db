package helmrelease

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/clusterproxy"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// grantRelease lets subject manage ConfigMaps and Secrets (a release of the small chart and
// its storage), and nothing else, in ns.
func grantRelease(t *testing.T, ns string, subject rbacv1.Subject) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "release"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"},
		Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"},
	}}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "release"}, Subjects: []rbacv1.Subject{subject},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}}
	g.Expect(k8s.Create(ctx, role)).To(Succeed())
	g.Expect(k8s.Create(ctx, binding)).To(Succeed())
}

// kubeConfigMap creates the kubeconfig ConfigMap "kubeconfig" in ns and returns the reference
// to it.
func kubeConfigMap(t *testing.T, ns string, data map[string]string) *fluxmeta.KubeConfigReference {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kubeconfig"}, Data: data}
	NewWithT(t).Expect(k8s.Create(context.Background(), cm)).To(Succeed())
	return &fluxmeta.KubeConfigReference{ConfigMapRef: &fluxmeta.LocalObjectReference{Name: cm.Name}}
}

// failsAs waits until hr is not Ready with a message that contains msg.
func failsAs(t *testing.T, hr *helmv2.HelmRelease, msg string) {
	t.Helper()
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		ready := conditions.Get(cur, fluxmeta.ReadyCondition)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Message).To(ContainSubstring(msg))
	})
}

// uninstalled waits until the release's ConfigMap is gone.
func uninstalled(t *testing.T, ns, name string) {
	t.Helper()
	NewWithT(t).Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), key(ns, name), &corev1.ConfigMap{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), "the release is uninstalled")
}

// TestKubeConfigMapGeneric: a HelmRelease whose spec.kubeConfig.configMapRef is of provider
// generic installs as the ConfigMap's ServiceAccount, with a token of the TokenRequest API,
// in the cluster at its address (the suite's own API server): a namespace where it may not
// create fails naming it, and deletion uninstalls through the same identity.
func TestKubeConfigMapGeneric(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	elsewhere := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	g.Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}})).To(Succeed())
	grantRelease(t, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "deployer"})
	audience, err := env.ServiceAccountIssuer(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	ref := kubeConfigMap(t, ns, map[string]string{"provider": "generic", "address": env.Config.Host,
		"ca.crt": string(env.Config.CAData), "audiences": audience, "serviceAccountName": "deployer"})

	hr := newRelease(ns, "remote", "small", "")
	hr.Spec.KubeConfig = ref
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, key(ns, "remote"), &corev1.ConfigMap{})).To(Succeed())

	denied := newRelease(ns, "denied", "small", "")
	denied.Spec.KubeConfig = ref
	denied.Spec.TargetNamespace = elsewhere
	g.Expect(k8s.Create(ctx, denied)).To(Succeed())
	failsAs(t, denied, `"system:serviceaccount:`+ns+`:deployer" cannot`)

	deleteAndWait(t, hr)
	uninstalled(t, ns, "remote")
	g.Expect(releaseSecrets(g, ns, "remote")).To(BeEmpty())
	deleteAndWait(t, denied)
}

// TestKubeConfigMapGKE: a HelmRelease whose spec.kubeConfig.configMapRef is of provider gcp
// installs with an access token of the controller's Google identity, through a front end
// that, as GKE does, accepts only Google tokens and maps them to a user, and uninstalls
// through it on deletion. Not parallel: the identity is the process environment.
func TestKubeConfigMapGKE(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const user = "ferry-helm-controller@ferry-test.iam.gserviceaccount.com"
	proxy := clusterproxy.New(t, env.Config, clusterproxy.GKE(cloudtest.GCP(t).GCP, user))
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	grantRelease(t, ns, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
	ref := kubeConfigMap(t, ns, map[string]string{"provider": cloud.GCP, "address": proxy.URL, "ca.crt": string(proxy.CACert)})

	hr := newRelease(ns, "remote", "small", "")
	hr.Spec.KubeConfig = ref
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, key(ns, "remote"), &corev1.ConfigMap{})).To(Succeed())
	g.Expect(proxy.Accepted()).To(BeNumerically(">", 0))
	g.Expect(proxy.Refused()).To(BeZero())

	deleteAndWait(t, hr)
	uninstalled(t, ns, "remote")
	g.Expect(releaseSecrets(g, ns, "remote")).To(BeEmpty())
}
