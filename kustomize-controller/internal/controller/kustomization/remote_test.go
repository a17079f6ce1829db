package kustomization

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/kubeconfig"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/clusterproxy"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// remoteSecret is a Secret manifest, which the remote identities of these tests may not
// create.
const remoteSecret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: s3cr3t\n"

// grantConfigMaps lets subject manage ConfigMaps, and nothing else, in ns.
func grantConfigMaps(t *testing.T, ns string, subject rbacv1.Subject) {
	t.Helper()
	g := NewWithT(t)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "configmaps"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"configmaps"},
		Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"},
	}}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "configmaps"}, Subjects: []rbacv1.Subject{subject},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}}
	g.Expect(env.Client.Create(ctxT(t), role)).To(Succeed())
	g.Expect(env.Client.Create(ctxT(t), binding)).To(Succeed())
}

// genericKubeConfig is the data of a kubeconfig ConfigMap of provider generic for the
// suite's API server, whose tokens name the audience that API server accepts.
func genericKubeConfig(t *testing.T, serviceAccount string) map[string]string {
	t.Helper()
	audience, err := env.ServiceAccountIssuer(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{"provider": "generic", "address": env.Config.Host, "ca.crt": string(env.Config.CAData), "audiences": audience}
	if serviceAccount != "" {
		data["serviceAccountName"] = serviceAccount
	}
	return data
}

// kubeConfigMap creates the kubeconfig ConfigMap "remote" in ns and returns the reference
// to it.
func kubeConfigMap(t *testing.T, ns string, data map[string]string) *fluxmeta.KubeConfigReference {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}, Data: data}
	NewWithT(t).Expect(env.Client.Create(ctxT(t), cm)).To(Succeed())
	return &fluxmeta.KubeConfigReference{ConfigMapRef: &fluxmeta.LocalObjectReference{Name: cm.Name}}
}

// TestKubeConfigMapGeneric: a Kustomization whose spec.kubeConfig.configMapRef is of
// provider generic applies as the ConfigMap's ServiceAccount, with a token of the
// TokenRequest API, to the cluster at its address (the suite's own API server): what the
// ServiceAccount may not create fails naming it, another ServiceAccount in the ConfigMap is
// used at the next reconcile, and deletion prunes through the same identity.
func TestKubeConfigMapGeneric(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	for _, sa := range []string{"applier", "unbound"} {
		g.Expect(env.Client.Create(ctxT(t), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa}})).To(Succeed())
	}
	grantConfigMaps(t, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "applier"})
	ref := kubeConfigMap(t, ns, genericKubeConfig(t, "applier"))

	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("remote-cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.KubeConfig = ref
	})
	readyAt(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "remote-cm")).NotTo(BeNil())

	b := publish(t, ns, rev(2), map[string]string{"cm.yaml": configMap("remote-cm", "2"), "secret.yaml": remoteSecret})
	setArtifact(t, repo, b)
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `"system:serviceaccount:`+ns+`:applier" cannot`)
	g.Expect(object(t, "v1", "Secret", ns, "db")).To(BeNil())

	// The ConfigMap names another ServiceAccount: the client built for the old one goes.
	cm := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "remote"}, cm)).To(Succeed())
	cm.Data["serviceAccountName"] = "unbound"
	g.Expect(env.Client.Update(ctxT(t), cm)).To(Succeed())
	statuscheck.RequestReconcile(t, env.Client, k)
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `"system:serviceaccount:`+ns+`:unbound" cannot`)

	cm.Data["serviceAccountName"] = "applier"
	g.Expect(env.Client.Update(ctxT(t), cm)).To(Succeed())
	c := publish(t, ns, rev(3), map[string]string{"cm.yaml": configMap("remote-cm", "3")})
	setArtifact(t, repo, c)
	readyAt(t, k, c.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "remote-cm").Object["data"]).To(HaveKeyWithValue("key", "3"))

	g.Expect(env.Client.Delete(ctxT(t), k)).To(Succeed())
	g.Eventually(func() *corev1.ConfigMap {
		var got corev1.ConfigMap
		if err := env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "remote-cm"}, &got); err != nil {
			return nil
		}
		return &got
	}, testenv.Timeout, testenv.Interval).Should(BeNil(), "deletion prunes on the remote cluster")
}

// TestKubeConfigMapDefaultServiceAccount: a generic ConfigMap without serviceAccountName
// authenticates as the controller's --default-kubeconfig-service-account.
func TestKubeConfigMapDefaultServiceAccount(t *testing.T) {
	g := NewWithT(t)
	startController(t, "kubeconfigsa", "--default-kubeconfig-service-account=tenant")
	ns := testenv.NewNamespace(t, env.Client)
	g.Expect(env.Client.Create(ctxT(t), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant"}})).To(Succeed())
	grantConfigMaps(t, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "tenant"})
	ref := kubeConfigMap(t, ns, genericKubeConfig(t, ""))
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("remote-cm", "1"), "secret.yaml": remoteSecret})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{shardLabel: "kubeconfigsa"}
		k.Spec.TargetNamespace = ns
		k.Spec.KubeConfig = ref
	})
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `"system:serviceaccount:`+ns+`:tenant" cannot`)
}

// TestKubeConfigMapCloud: a Kustomization whose spec.kubeConfig.configMapRef is of a cloud
// provider applies with a token of the controller's own identity on that cloud, through a
// front end that, as AKS, GKE and EKS do, accepts only that cloud's tokens and maps them to
// a user; what that user may not create fails naming it. A ServiceAccount in the ConfigMap
// (workload identity per object) is refused.
func TestKubeConfigMapCloud(t *testing.T) {
	const eksCluster = "arn:aws:eks:us-east-1:012345678901:cluster/ferry-test"
	for _, provider := range []string{cloud.AWS, cloud.Azure, cloud.GCP} {
		t.Run(provider, func(t *testing.T) {
			g := NewWithT(t)
			user := "ferry-" + provider
			data := map[string]string{"provider": provider}
			var auth clusterproxy.Authenticate
			switch provider {
			case cloud.AWS:
				auth = clusterproxy.EKS(cloudtest.AWS(t).AWS.URL(), "ferry-test")
				user = "arn:aws:sts::012345678901:assumed-role/ferry-source-controller/ferry"
				data["cluster"] = eksCluster
			case cloud.Azure:
				auth = clusterproxy.AKS(cloudtest.AzureIdentity(t, cloud.TestCAFileEnv), kubeconfig.AKSScope, user)
			case cloud.GCP:
				auth = clusterproxy.GKE(cloudtest.GCP(t).GCP, user)
			}
			// A controller of its own, whose token cache and cloud credential see this
			// test's environment.
			startController(t, provider)
			proxy := clusterproxy.New(t, env.Config, auth)
			data["address"], data["ca.crt"] = proxy.URL, string(proxy.CACert)
			ns := testenv.NewNamespace(t, env.Client)
			grantConfigMaps(t, ns, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
			ref := kubeConfigMap(t, ns, data)

			a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("remote-cm", "1")})
			repo := gitRepository(t, ns, "repo", &a)
			k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
				k.Labels = map[string]string{shardLabel: provider}
				k.Spec.TargetNamespace = ns
				k.Spec.KubeConfig = ref
			})
			readyAt(t, k, a.Revision)
			g.Expect(object(t, "v1", "ConfigMap", ns, "remote-cm")).NotTo(BeNil())
			g.Expect(proxy.Accepted()).To(BeNumerically(">", 0))
			g.Expect(proxy.Refused()).To(BeZero())

			b := publish(t, ns, rev(2), map[string]string{"cm.yaml": configMap("remote-cm", "2"), "secret.yaml": remoteSecret})
			setArtifact(t, repo, b)
			statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `User "`+user+`" cannot`)

			// Workload identity per object is refused, naming the key.
			cm := &corev1.ConfigMap{}
			g.Expect(env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "remote"}, cm)).To(Succeed())
			cm.Data["serviceAccountName"] = "tenant"
			g.Expect(env.Client.Update(ctxT(t), cm)).To(Succeed())
			statuscheck.RequestReconcile(t, env.Client, k)
			statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason,
				"key 'serviceAccountName' is not supported by Ferry with provider "+provider)
		})
	}
}
