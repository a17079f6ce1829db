package main

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	"github.com/ferry-gitops/ferry/notification-controller/internal/pubsubtest"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestGooglePubSubServiceAccount: with the feature gate ObjectLevelWorkloadIdentity, a
// googlepubsub Provider naming a ServiceAccount publishes with that ServiceAccount's Google
// identity: its annotations name a workload identity provider and the Google service account
// to impersonate, which Google's Security Token Service and IAM Credentials (local servers)
// give only for the ServiceAccount's genuine tokens (checked by the API server's
// TokenReview), and Pub/Sub (a local TLS server) accepts only that account's access tokens,
// so that the controller's own identity is refused. A ServiceAccount without the annotations
// gets its Provider a Warning naming them, and its events are not sent with the controller's
// identity instead; another type naming a ServiceAccount, and any naming one with the gate
// off, get a Warning naming the field, the type and what to do.
func TestGooglePubSubServiceAccount(t *testing.T) {
	const project, topic = "ferry-test", "flux-events"
	c := cloudtest.GCP(t)
	srv := pubsubtest.Start(t, project, topic, func(token string) bool {
		principal, ok := c.Google.Principal(token)
		return ok && principal == cloudtest.TenantGoogleServiceAccount
	})
	t.Setenv(notifier.TestPubSubEndpointEnv, srv.Addr)
	ns := testenv.NewNamespace(t, env.Client)
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "notifier",
		Annotations: cloudtest.GoogleServiceAccount(t, c.Google, env.Client, ns, "notifier")}})
	create(t, &corev1.ServiceAccount{ObjectMeta: objectMeta(ns, "plain")})
	running := startController(t, ns, flags{}, "--feature-gates=ObjectLevelWorkloadIdentity=true")

	pubsub := func(name, serviceAccount string) func(*notificationv1beta3.Provider) {
		return func(p *notificationv1beta3.Provider) {
			p.Spec.Type, p.Spec.Address, p.Spec.Channel = notificationv1beta3.GooglePubSubProvider, project, topic
			p.Spec.ServiceAccountName = serviceAccount
		}
	}
	genericProvider(t, ns, "tenant", "", pubsub("tenant", "notifier"))
	genericProvider(t, ns, "plain", "", pubsub("plain", "plain"))
	genericProvider(t, ns, "webhook", "https://127.0.0.1:1/hook", func(p *notificationv1beta3.Provider) { p.Spec.ServiceAccountName = "notifier" })
	g := NewWithT(t)
	waitProviderEvent(t, ns, "tenant", "Normal/Initialized", "Provider of type googlepubsub initialized")
	waitProviderEvent(t, ns, "plain", "Warning/ValidationFailed", "ServiceAccount '"+ns+"/plain' has no annotation gcp.auth.fluxcd.io/workload-identity-provider")
	waitProviderEvent(t, ns, "webhook", "Warning/UnsupportedSpec", "spec.serviceAccountName is not supported by Ferry with spec.type generic")

	alertFor(t, ns, "to-tenant", "tenant")
	alertFor(t, ns, "to-plain", "plain")
	kubeEvent(t, ns, "apps", corev1.EventTypeNormal, "ReconciliationSucceeded", "applied revision main@sha1:0001", nil)
	waitWatermark(t, ns, lastEventRV(t, ns))
	msgs := srv.Fake.Messages()
	g.Expect(msgs).To(HaveLen(1), "the tenant's event was not published once")
	g.Expect(string(msgs[0].Data)).To(ContainSubstring("applied revision main@sha1:0001"))
	g.Expect(srv.Refused()).To(BeZero(), "a call reached Pub/Sub with another identity (the controller's, for the ServiceAccount without annotations)")
	g.Expect(deliveries(t, notificationv1beta3.GooglePubSubProvider, "failed")).To(BeNumerically(">=", 1))

	// The controller's own identity is refused by Pub/Sub: the tenant's was needed.
	genericProvider(t, ns, "controller", "", pubsub("controller", ""))
	alertFor(t, ns, "to-controller", "controller")
	kubeEvent(t, ns, "apps", corev1.EventTypeWarning, "BuildFailed", "build failed", map[string]string{"revision": "main@sha1:0002"})
	g.Eventually(srv.Refused, 2*testenv.Timeout, testenv.Interval).Should(BeNumerically(">=", 1))
	g.Eventually(func() int { return len(srv.Fake.Messages()) }, testenv.Timeout, testenv.Interval).Should(Equal(2))

	// With the gate off, the ServiceAccount is refused, not ignored.
	running.Stop()
	startController(t, ns, flags{})
	genericProvider(t, ns, "gated", "", pubsub("gated", "notifier"))
	waitProviderEvent(t, ns, "gated", "Warning/FeatureGateDisabled", "spec.serviceAccountName with spec.type googlepubsub asks for "+
		"object-level workload identity, which is off: start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true")
}

// waitProviderEvent waits for an event of the Provider ns/name of typeReason
// ("<type>/<reason>") whose message holds message.
func waitProviderEvent(t *testing.T, ns, name, typeReason, message string) {
	t.Helper()
	NewWithT(t).Eventually(func() []string { return eventReasons(t, ns, notificationv1beta3.ProviderKind, name) },
		testenv.Timeout, testenv.Interval).Should(ContainElement(And(HavePrefix(typeReason+": "), ContainSubstring(message))), "Provider %s", name)
}
