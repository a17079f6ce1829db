package helmrelease

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// thingsGroup is the group of the Thing of the things chart.
const thingsGroup = "persistent.helmrelease.ferry.test"

// thingCRD (re)creates the CRD of the things chart's Thing with scope, out-of-band, and waits
// until the API serves it so.
func thingCRD(t *testing.T, scope apiextensionsv1.ResourceScope) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	old := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "things." + thingsGroup}}
	g.Expect(client.IgnoreNotFound(k8s.Delete(ctx, old))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(old), old))
	}, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue())
	keep := true
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: old.Name},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: thingsGroup,
			Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Thing", ListKind: "ThingList", Plural: "things", Singular: "thing"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &keep}}}},
		},
	}
	g.Expect(k8s.Create(ctx, crd)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), crd) })
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		list, err := dc.ServerResourcesForGroupVersion(thingsGroup + "/v1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(list.APIResources).To(ContainElement(And(
			HaveField("Name", "things"), HaveField("Namespaced", scope == apiextensionsv1.NamespaceScoped))))
	}, testenv.RolloutTimeout, testenv.Interval).Should(Succeed())
}

// TestPersistentClient: the controller's shared clients keep what they learnt of a kind;
// with spec.persistentClient false each Helm action gets clients of its own, which map a
// kind as the API serves it now (here: a CRD recreated out-of-band with another scope).
func TestPersistentClient(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "things", "things", "0.1.0")
	thingCRD(t, apiextensionsv1.NamespaceScoped)
	no := false
	shared := newRelease(ns, "shared", "things", "")
	fresh := newRelease(ns, "fresh", "things", "")
	fresh.Spec.PersistentClient = &no
	for _, hr := range []*helmv2.HelmRelease{shared, fresh} {
		g.Expect(k8s.Create(ctx, hr)).To(Succeed())
		statuscheck.Ready(t, k8s, hr)
	}

	thingCRD(t, apiextensionsv1.ClusterScoped)
	for _, hr := range []*helmv2.HelmRelease{shared, fresh} {
		statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"size":2}`) })
	}
	waitVersion(t, fresh, 2)
	statuscheck.Ready(t, k8s, fresh)
	dyn, err := dynamic.NewForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = dyn.Resource(schema.GroupVersionResource{Group: thingsGroup, Version: "v1", Resource: "things"}).
		Get(ctx, "fresh", metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred(), "the Thing is cluster-scoped now")

	got := statuscheck.Stalled(t, k8s, shared, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("the server could not find the requested resource"),
		"the shared clients still map Things to namespaced URLs")
}

// TestWaitStrategyLegacy: spec.waitStrategy legacy waits with Helm 3's readiness checks, Jobs
// included unless disabled, within spec.timeout, and fails with the poller's shape of message.
func TestWaitStrategyLegacy(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "legacy", "app", `{`+unschedulable+`,"job":true}`)
	hr.Spec.Timeout = seconds(2)
	hr.Spec.WaitStrategy = &helmv2.WaitStrategy{Name: helmv2.WaitStrategyLegacy}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(
		"failed to wait for the release's resources: timed out waiting for 2 object(s) to become ready: Deployment/" + ns + "/legacy; Job/" + ns + "/legacy-job"))
	g.Expect(conditions.Get(got, helmv2.ReleasedCondition).Reason).To(Equal(helmv2.InstallFailedReason))

	// Pods that run (on KWOK's nodes) and a Job not waited for: the upgrade is released.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"job":true,"message":"two"}`)
		o.Spec.Upgrade = &helmv2.Upgrade{DisableWaitForJobs: true, Timeout: seconds(60)}
	})
	waitVersion(t, hr, 2)
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(conditions.Get(got, helmv2.ReleasedCondition).Reason).To(Equal(helmv2.UpgradeSucceededReason))
}
