package action

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/chart"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// thingCRD creates (or recreates) the CRD of the kind Thing in group, with the given scope
// and a schema that keeps every field, out-of-band, and waits until the API serves it with
// that scope.
func thingCRD(t *testing.T, group string, scope apiextensionsv1.ResourceScope) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	name := "things." + group
	scheme := runtime.NewScheme()
	g.Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(env.Config, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	old := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}}
	g.Expect(client.IgnoreNotFound(c.Delete(ctx, old))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(old), old))
	}, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue())
	keep := true
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Thing", ListKind: "ThingList", Plural: "things", Singular: "thing"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &keep,
				}},
			}},
		},
	}
	g.Expect(c.Create(ctx, crd)).To(Succeed())
	t.Cleanup(func() { _ = c.Delete(context.Background(), crd) })
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		list, err := dc.ServerResourcesForGroupVersion(group + "/v1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(list.APIResources).To(ContainElement(And(
			HaveField("Name", "things"), HaveField("Namespaced", scope == apiextensionsv1.NamespaceScoped))))
	}, testenv.RolloutTimeout, testenv.Interval).Should(Succeed())
}

// thingChart returns a chart of one Thing of group named after the release, with the
// given status (which the Thing keeps: its CRD has no status subresource).
func thingChart(group, status string) *chart.Chart {
	manifest := "apiVersion: " + group + "/v1\nkind: Thing\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: {{ .Values.size | default 1 }}\n"
	if status != "" {
		manifest += "status:\n" + status
	}
	return &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "thing", Version: "0.1.0"},
		Templates: []*chart.File{{Name: "templates/thing.yaml", Data: []byte(manifest)}},
	}
}

// TestPerActionClients: the shared clients keep what they learnt of a kind (its scope) and
// act on it after the kind changed; per-action clients (spec.persistentClient false) learn
// it again for every action, so they act on the kind as the API serves it.
func TestPerActionClients(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	const group = "peraction.actions.ferry.test"
	cache := NewCache(0)
	newWith := func(perAction bool) *Client {
		c, err := New(Config{RESTConfig: env.Config, StorageNamespace: ns, Namespace: ns, Cache: cache,
			PerActionClients: perAction, Log: t.Logf})
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	dyn, err := dynamic.NewForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	// thing reads a Thing by URL: a client with a REST mapper would map it as it first saw it.
	thing := func(name, namespace string) error {
		_, err := dyn.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "things"}).
			Namespace(namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err
	}
	chrt := thingChart(group, "")
	thingCRD(t, group, apiextensionsv1.NamespaceScoped)

	// Both learn that Things are namespaced.
	shared, perAction := newWith(false), newWith(true)
	for name, c := range map[string]*Client{"shared": shared, "per-action": perAction} {
		_, err := c.Install(ctxFor(t), chrt, nil, InstallOptions{ReleaseName: name, Wait: true})
		g.Expect(err).NotTo(HaveOccurred(), name)
		g.Expect(thing(name, ns)).To(Succeed(), name)
	}

	// Things become cluster-scoped; the same Clients upgrade.
	thingCRD(t, group, apiextensionsv1.ClusterScoped)
	vals := map[string]any{"size": 2}
	_, err = shared.Upgrade(ctxFor(t), chrt, vals, UpgradeOptions{ReleaseName: "shared", Wait: true})
	g.Expect(err).To(MatchError(ContainSubstring("the server could not find the requested resource")),
		"the shared clients still map Things to namespaced URLs")
	_, err = perAction.Upgrade(ctxFor(t), chrt, vals, UpgradeOptions{ReleaseName: "per-action", Wait: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(thing("per-action", "")).To(Succeed(), "the Thing is created cluster-scoped")

	// And a new Client sharing the Cache's clients still knows no better.
	_, err = newWith(false).Install(ctxFor(t), chrt, nil, InstallOptions{ReleaseName: "shared-again"})
	g.Expect(err).To(MatchError(ContainSubstring("the server could not find the requested resource")))
	g.Expect(cache.entries).To(HaveLen(1), "per-action clients are not cached")
}
