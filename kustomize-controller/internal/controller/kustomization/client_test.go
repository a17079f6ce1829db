package kustomization

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/kubeconfig"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// kubeconfigAs returns the suite's kubeconfig acting as user, or as the administrator it
// names when user is empty.
func kubeconfigAs(t testing.TB, user string) []byte {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = user
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKubeConfigRotation: a rotated kubeconfig Secret replaces the client built from the old
// content instead of adding one (the cache does not grow with rotations, nor with updates
// that leave the kubeconfig alone), and the new kubeconfig is used at once.
func TestKubeConfigRotation(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}, Data: map[string][]byte{"value": kubeconfigAs(t, "")}}
	g.Expect(env.Client.Create(ctxT(t), secret)).To(Succeed())
	rotate := func(user string) {
		t.Helper()
		g.Expect(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(secret), secret)).To(Succeed())
		secret.Data["value"] = kubeconfigAs(t, user)
		g.Expect(env.Client.Update(ctxT(t), secret)).To(Succeed())
	}
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("remote-cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: secret.Name}}
	})
	readyAt(t, k, a.Revision)

	// A reconciler's cache, driven directly: one client however often the Secret rotates, and
	// always the current kubeconfig's.
	r := &Reconciler{shared: &manager.Options{}, reader: env.Client, config: env.Config, scheme: env.Scheme,
		clients: newClientCache(clientCacheSize), kubeconfigs: &kubeconfig.Loader{Reader: env.Client}}
	for i, user := range []string{"", "rotated-1", "rotated-2", ""} {
		if i > 0 {
			rotate(user)
		}
		tg, err := r.target(ctxT(t), k)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.clients.len()).To(Equal(1), "clients cached after %d rotations", i)
		err = tg.client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "remote-cm"}, &corev1.ConfigMap{})
		if user == "" {
			g.Expect(err).NotTo(HaveOccurred())
		} else {
			g.Expect(err).To(MatchError(ContainSubstring(`User "`+user+`"`)), "the rotated kubeconfig acts as %s", user)
		}
	}
	before, err := r.target(ctxT(t), k)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(secret), secret)).To(Succeed())
	secret.Labels = map[string]string{"touched": "yes"}
	g.Expect(env.Client.Update(ctxT(t), secret)).To(Succeed())
	after, err := r.target(ctxT(t), k)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after.client).To(BeIdenticalTo(before.client), "the same kubeconfig keeps its client")

	// The controller applies with the rotated kubeconfig at its next reconcile.
	rotate("rotated-3")
	statuscheck.RequestReconcile(t, env.Client, k)
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, `User "rotated-3"`)
	rotate("")
	statuscheck.RequestReconcile(t, env.Client, k)
	readyAt(t, k, a.Revision)
}
