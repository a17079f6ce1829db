package alert

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1beta3.AddToScheme},
		CRDDirectoryPaths: []string{"../../../../deploy/crds"},
		Manager: ctrltest.Options{Name: "notification-controller", Register: Setup, Args: []string{"--no-cross-namespace-refs=true"},
			Kinds: []client.Object{&notificationv1beta3.Alert{}}},
		Started: func(e *testenv.Env, _ *ctrltest.Manager) { env = e },
	}))
}

// waitEvent waits for an event of reason on the Alert and returns the newest.
func waitEvent(t *testing.T, obj client.Object, reason string) string {
	t.Helper()
	var got []string
	NewWithT(t).Eventually(func() []string {
		got = statuscheck.Events(t, env.Client, obj, notificationv1beta3.AlertKind, reason)
		return got
	}, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	return got[len(got)-1]
}

func alert(ns, name string, mutate func(*notificationv1beta3.AlertSpec)) *notificationv1beta3.Alert {
	a := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: notificationv1beta3.AlertSpec{ProviderRef: fluxmeta.LocalObjectReference{Name: "webhook"},
			EventSources: []notificationv1.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}}}
	if mutate != nil {
		mutate(&a.Spec)
	}
	return a
}

// TestAlertChecks: an Alert whose regular expression does not compile, whose source is in
// another namespace while cross-namespace references are disabled, or whose Provider is
// missing gets a Warning saying so; once its Provider exists, a Normal event. An Alert
// written as v1beta2, as older guides do, is checked the same way.
func TestAlertChecks(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ctx := context.Background()
	g := NewWithT(t)

	bad := alert(ns, "bad-regexp", func(s *notificationv1beta3.AlertSpec) { s.ExclusionList = []string{"("} })
	g.Expect(env.Client.Create(ctx, bad)).To(Succeed())
	g.Expect(waitEvent(t, bad, notificationv1.InvalidConfigReason)).To(ContainSubstring("spec.exclusionList[0] is not a valid regular expression"))

	cross := alert(ns, "cross", func(s *notificationv1beta3.AlertSpec) { s.EventSources[0].Namespace = "elsewhere" })
	g.Expect(env.Client.Create(ctx, cross)).To(Succeed())
	g.Expect(waitEvent(t, cross, fluxmeta.AccessDeniedReason)).To(ContainSubstring("cross-namespace references are disabled"))

	waiting := alert(ns, "waiting", nil)
	g.Expect(env.Client.Create(ctx, waiting)).To(Succeed())
	g.Expect(waitEvent(t, waiting, notificationv1.ValidationFailedReason)).To(ContainSubstring("Provider '" + ns + "/webhook' not found"))
	p := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: ns},
		Spec: notificationv1beta3.ProviderSpec{Type: "generic", Address: "https://example.com/hook"}}
	g.Expect(env.Client.Create(ctx, p)).To(Succeed())
	g.Expect(waitEvent(t, waiting, notificationv1.InitializedReason)).To(Equal("Normal Initialized: Alert initialized"))

	old := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "notification.toolkit.fluxcd.io/v1beta2", "kind": "Alert",
		"metadata": map[string]any{"name": "v1beta2", "namespace": ns},
		"spec": map[string]any{"providerRef": map[string]any{"name": "webhook"}, "eventSeverity": "info",
			"eventSources": []any{map[string]any{"kind": "HelmRelease", "name": "*"}}},
	}}
	g.Expect(env.Client.Create(ctx, old)).To(Succeed())
	g.Expect(waitEvent(t, old, notificationv1.InitializedReason)).To(Equal("Normal Initialized: Alert initialized"))
}
