package gitrepository

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// TestAzureObjectLevelIdentity: spec.provider azure with spec.serviceAccountName (feature
// gate ObjectLevelWorkloadIdentity, on in the suite) clones from Azure DevOps with an Entra
// ID token of the identity the ServiceAccount's annotations name, which Entra ID gives only
// for the ServiceAccount's genuine tokens (the API server's TokenReview); the server takes
// only that identity's tokens, so the controller's own is refused. A ServiceAccount without
// the annotations fails naming them; a controller with the gate off stalls the object.
func TestAzureObjectLevelIdentity(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	annotations := cloudtest.AzureServiceAccount(t, authority, k8s, ns, "reader")
	g.Expect(k8s.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "reader", Annotations: annotations}})).To(Succeed())
	g.Expect(k8s.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
	repos := gitserver.NewRepos(t)
	head := repos.Create(t, "app", map[string]string{"deploy/app.yaml": "kind: ConfigMap\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{CheckBearer: func(token string) bool {
		scope, ok := authority.TokenScope(token)
		client, _ := authority.TokenClient(token)
		return ok && scope == cloud.AzureDevOpsScope && client == cloudtest.TenantClientID
	}})
	newSecret(t, ns, "ca", map[string][]byte{"ca.crt": srv.CA})
	azure := func(sa string) func(*sourcev1.GitRepository) {
		return func(o *sourcev1.GitRepository) {
			o.Spec.Provider = sourcev1.GitProviderAzure
			o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
			o.Spec.ServiceAccountName = sa
		}
	}

	statuscheck.NotReady(t, k8s, newRepo(t, ns, "controller", srv.RepoURL("app"), azure("")), sourcev1.AuthenticationFailedReason, "")
	tenant := statuscheck.Ready(t, k8s, newRepo(t, ns, "tenant", srv.RepoURL("app"), azure("reader")))
	g.Expect(tenant.Status.Artifact.Revision).To(Equal(revision("master", head)))
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "plain", srv.RepoURL("app"), azure("plain")), sourcev1.AuthenticationFailedReason,
		"ServiceAccount '"+ns+"/plain' has no annotation azure.workload.identity/client-id")

	rec, err := events.NewRecorder(env.Config, env.Scheme, "source-controller", "")
	g.Expect(err).NotTo(HaveOccurred())
	rt := &reconcile.Runtime{Client: k8s, Events: rec, Metrics: metrics.NewRecorder()}
	off := newReconciler(rt, &sourcecontroller.Deps{Storage: store, Options: &manager.Options{}})
	_, err = off.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tenant)})
	g.Expect(err).NotTo(HaveOccurred())
	statuscheck.Stalled(t, k8s, tenant, sourcev1.InvalidProviderConfigurationReason,
		"start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
}
