package ocirepository

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// TestObjectLevelWorkloadIdentity pulls from Amazon ECR, Azure Container Registry and Google
// Artifact Registry with the cloud identity of spec.serviceAccountName (feature gate
// ObjectLevelWorkloadIdentity, on in the suite): its annotations name an IAM role, an Entra
// ID application, or a Google workload identity provider and the service account to
// impersonate, which only the ServiceAccount's genuine tokens obtain (checked by the API
// server's TokenReview), and only that identity may log in, so that the controller's own
// identity is refused. A ServiceAccount without the annotations fails naming them; a
// controller with the gate off stalls the object naming the gate.
func TestObjectLevelWorkloadIdentity(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			g := NewWithT(t)
			d := pushFiles(t, c.Registry, "app", "v1", manifests)
			ns := testenv.NewNamespace(t, env.Client)
			secret(t, ns, "ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": c.Registry.CACert})
			secret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(c.Proxy.URL())})
			c.ServiceAccountIdentity(t, env.Client, ns, "puller")
			g.Expect(env.Client.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
			spec := sourcev1.OCIRepositorySpec{URL: c.OCIURL("app"), Reference: &sourcev1.OCIRepositoryRef{Tag: "v1"}, Provider: c.Provider,
				CertSecretRef: &fluxmeta.LocalObjectReference{Name: "ca"}, ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}}

			controllerID := waitFailed(t, newRepo(t, ns, "controller", spec), sourcev1.AuthenticationFailedReason)

			spec.ServiceAccountName = "puller"
			tenant := statuscheck.Ready(t, env.Client, newRepo(t, ns, "tenant", spec))
			g.Expect(tenant.Status.Artifact.Revision).To(Equal("v1@" + d))
			g.Expect(fetch(t, tenant.Status.Artifact)).To(BeADirectory())

			spec.ServiceAccountName = "plain"
			plain := waitFailed(t, newRepo(t, ns, "plain", spec), sourcev1.AuthenticationFailedReason)
			g.Expect(conditions.Get(plain, fluxmeta.ReadyCondition).Message).To(ContainSubstring("ServiceAccount '" + ns + "/plain' has no annotation"))

			gateOff(t, tenant)
			lockedDown(t, controllerID, "v1@"+d, "puller", "plain")
		})
	}
}

// lockedDown checks Flux's multi-tenancy lock-down on obj, which names no ServiceAccount and
// which the controller's own identity cannot pull: a controller started with
// --default-service-account=bad, a ServiceAccount without the annotations, fails to log in
// naming them (the controller's identity is not tried), and one started with good, whose
// identity the registry accepts, stores the artifact. (The suite's controller, without the
// flag, keeps failing obj: the stored artifact is what shows the good reconcile.)
func lockedDown(t *testing.T, obj *sourcev1.OCIRepository, want, good, bad string) {
	t.Helper()
	rec, err := events.NewRecorder(env.Config, env.Scheme, "source-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	rt := &reconcile.Runtime{Client: env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	lockedTo := func(sa string) *Reconciler {
		o := &manager.Options{FeatureGates: cloud.ObjectLevelWorkloadIdentity, DefaultServiceAccount: sa}
		o.SetKnownFeatureGates([]string{cloud.ObjectLevelWorkloadIdentity})
		return newReconciler(rt, env.Client, &sourcecontroller.Deps{Storage: store, Options: o})
	}
	_, err = lockedTo(bad).clientConfig(t.Context(), obj)
	if err == nil || !strings.Contains(err.Error(), "ServiceAccount '"+obj.Namespace+"/"+bad+"' has no annotation") {
		t.Fatalf("locked down to %s: %v", bad, err)
	}
	if _, err := lockedTo(good).Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}); err != nil {
		t.Fatal(err)
	}
	cur := &sourcev1.OCIRepository{}
	if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(obj), cur); err != nil {
		t.Fatal(err)
	}
	if cur.Status.Artifact == nil || cur.Status.Artifact.Revision != want {
		t.Fatalf("locked down to %s: artifact %+v, want revision %s", good, cur.Status.Artifact, want)
	}
}

// gateOff reconciles obj once with a controller whose feature gate ObjectLevelWorkloadIdentity
// is off: the object stalls, naming the gate and how to turn it on.
func gateOff(t *testing.T, obj *sourcev1.OCIRepository) {
	t.Helper()
	rec, err := events.NewRecorder(env.Config, env.Scheme, "source-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	rt := &reconcile.Runtime{Client: env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	off := newReconciler(rt, env.Client, &sourcecontroller.Deps{Storage: store, Options: &manager.Options{}})
	if _, err := off.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}); err != nil {
		t.Fatal(err)
	}
	statuscheck.Stalled(t, env.Client, obj, sourcev1.InvalidProviderConfigurationReason,
		"start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
}
