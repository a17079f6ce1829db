package imagerepository

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestObjectLevelWorkloadIdentity scans Amazon ECR, Azure Container Registry and Google
// Artifact Registry with the cloud identity of spec.serviceAccountName (feature gate
// ObjectLevelWorkloadIdentity, on in the suite; on Google Cloud the service account that the
// ServiceAccount impersonates through its workload identity provider), which only the
// ServiceAccount's genuine tokens obtain (the API server's TokenReview) and which alone may
// log in: the controller's own identity is refused. A ServiceAccount without the annotations
// fails naming them; a controller with the gate off stalls the object naming the gate.
func TestObjectLevelWorkloadIdentity(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			g := NewWithT(t)
			push(t, c.Registry, "app", "1.0.0", "1.1.0")
			ns := namespace(t)
			newSecret(t, ns, "ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": c.Registry.CACert})
			newSecret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(c.Proxy.URL())})
			c.ServiceAccountIdentity(t, suite.Env.Client, ns, "scanner")
			g.Expect(suite.Env.Client.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
			spec := imagev1.ImageRepositorySpec{Image: c.Host + "/app", Provider: c.Provider,
				CertSecretRef: &fluxmeta.LocalObjectReference{Name: "ca"}, ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}}

			statuscheck.NotReady(t, suite.Env.Client, newRepo(t, ns, "controller", spec), imagev1.AuthenticationFailedReason, "")

			spec.ServiceAccountName = "scanner"
			tenant := statuscheck.Ready(t, suite.Env.Client, newRepo(t, ns, "tenant", spec))
			g.Expect(tenant.Status.LastScanResult.TagCount).To(Equal(2))

			spec.ServiceAccountName = "plain"
			statuscheck.NotReady(t, suite.Env.Client, newRepo(t, ns, "plain", spec), imagev1.AuthenticationFailedReason,
				"ServiceAccount '"+ns+"/plain' has no annotation")

			rec, err := events.NewRecorder(suite.Env.Config, suite.Env.Scheme, "image-reflector-controller", "")
			g.Expect(err).NotTo(HaveOccurred())
			rt := &reconcile.Runtime{Client: suite.Env.Client, Events: rec, Metrics: metrics.NewRecorder()}
			off := &Reconciler{rt: rt, deps: &imagecontroller.Deps{Store: suite.Store, Options: &manager.Options{}, Reader: suite.Env.Client}}
			_, err = off.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tenant)})
			g.Expect(err).NotTo(HaveOccurred())
			statuscheck.Stalled(t, suite.Env.Client, tenant, imagev1.InvalidProviderConfigurationReason,
				"start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
		})
	}
}
