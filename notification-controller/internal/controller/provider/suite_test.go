package provider

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	register := func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
		return Setup(mgr, rt, o, sender.NewRegistry(mgr.GetAPIReader(), nil))
	}
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1beta3.AddToScheme},
		CRDDirectoryPaths: []string{"../../../../deploy/crds"},
		Manager:           ctrltest.Options{Name: "notification-controller", Register: register, Kinds: []client.Object{&notificationv1beta3.Provider{}}},
		Started:           func(e *testenv.Env, _ *ctrltest.Manager) { env = e },
	}))
}

// TestRefusedFields: the refused types and workload identity get the Provider a Warning
// event naming them.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "Provider")
}

// waitEvent waits for an event of reason on obj and returns its "<type> <reason>: <message>".
func waitEvent(t *testing.T, obj client.Object, reason string) string {
	t.Helper()
	var got []string
	NewWithT(t).Eventually(func() []string {
		got = statuscheck.Events(t, env.Client, obj, notificationv1beta3.ProviderKind, reason)
		return got
	}, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	return got[len(got)-1]
}

// TestProviderChecks: a Provider whose Secret is missing gets a Warning naming the Secret,
// and a Normal event once the Secret exists; settings its type cannot work with get a
// Warning naming the problem.
func TestProviderChecks(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ctx := context.Background()
	g := NewWithT(t)
	p := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: ns},
		Spec: notificationv1beta3.ProviderSpec{Type: "slack", Channel: "deployments", SecretRef: &fluxmeta.LocalObjectReference{Name: "slack-url"}}}
	g.Expect(env.Client.Create(ctx, p)).To(Succeed())
	g.Expect(waitEvent(t, p, "TokenNotFound")).To(ContainSubstring("failed to read secret '" + ns + "/slack-url'"))

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "slack-url", Namespace: ns},
		StringData: map[string]string{"address": "https://hooks.slack.com/services/T/B/X"}}
	g.Expect(env.Client.Create(ctx, secret)).To(Succeed())
	g.Expect(waitEvent(t, p, "Initialized")).To(Equal("Normal Initialized: Provider of type slack initialized"))

	for name, spec := range map[string]notificationv1beta3.ProviderSpec{
		"expr":    {Type: "github", Address: "https://github.com/org/app", CommitStatusExpr: "event.", SecretRef: &fluxmeta.LocalObjectReference{Name: "slack-url"}},
		"webex":   {Type: "webex", Address: "https://webexapis.com/v1/messages", SecretRef: &fluxmeta.LocalObjectReference{Name: "slack-url"}},
		"noaddr":  {Type: "generic"},
		"badaddr": {Type: "generic", Address: "ftp://example.com"},
	} {
		bad := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
		g.Expect(env.Client.Create(ctx, bad)).To(Succeed())
		msg := waitEvent(t, bad, "ValidationFailed")
		g.Expect(msg).To(HavePrefix("Warning ValidationFailed: "), name)
		g.Expect(msg).NotTo(ContainSubstring("hooks.slack.com"), "an event quotes a secret value")
	}
}
