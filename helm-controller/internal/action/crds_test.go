package action

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/chart"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// withColor returns the crds chart with a color property added to the Widget schema.
func withColor(t *testing.T) *chart.Chart {
	chrt := packageChart(t, "crds")
	for _, f := range chrt.Files {
		if f.Name == "crds/widgets.yaml" {
			f.Data = []byte(strings.Replace(string(f.Data), "                size:\n",
				"                color:\n                  type: string\n                size:\n", 1))
		}
	}
	return chrt
}

// widgetProperties returns the properties of the live Widget CRD's spec schema.
func widgetProperties(g Gomega) []string {
	var crd apiextensionsv1.CustomResourceDefinition
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: "widgets.actions.ferry.test"}, &crd)).To(Succeed())
	var names []string
	for name := range crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties {
		names = append(names, name)
	}
	return names
}

func TestCRDPolicies(t *testing.T) {
	g := NewWithT(t)
	g.Expect(apiextensionsv1.AddToScheme(env.Scheme)).To(Succeed())
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)

	_, err := c.Install(ctxFor(t), packageChart(t, "crds"), nil, InstallOptions{ReleaseName: "skipped", CRDs: helmv2.Skip})
	g.Expect(err).To(MatchError(And(ContainSubstring("failed to install release skipped"),
		ContainSubstring("no matches for"), ContainSubstring("actions.ferry.test/v1"))), "with Skip the chart's CRD is not installed")

	rel, err := c.Install(ctxFor(t), packageChart(t, "crds"), nil, InstallOptions{ReleaseName: "widgets", Wait: true})
	g.Expect(err).NotTo(HaveOccurred(), "Create is the install default")
	g.Expect(rel.Version).To(Equal(1))
	widget := &unstructured.Unstructured{}
	widget.SetAPIVersion("actions.ferry.test/v1")
	widget.SetKind("Widget")
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "widgets"}, widget)).To(Succeed())
	g.Expect(widgetProperties(g)).To(ConsistOf("size"))

	_, err = c.Upgrade(ctxFor(t), withColor(t), nil, UpgradeOptions{ReleaseName: "widgets"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(widgetProperties(g)).To(ConsistOf("size"), "Skip is the upgrade default")

	_, err = c.Upgrade(ctxFor(t), withColor(t), nil, UpgradeOptions{ReleaseName: "widgets", CRDs: helmv2.Create})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(widgetProperties(g)).To(ConsistOf("size"), "Create leaves an existing CRD alone")

	_, err = c.Upgrade(ctxFor(t), withColor(t), map[string]any{"size": 2}, UpgradeOptions{ReleaseName: "widgets", CRDs: helmv2.CreateReplace})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(widgetProperties(g)).To(ConsistOf("size", "color"), "CreateReplace updates the CRD")
	_, err = c.Upgrade(ctxFor(t), withColor(t), map[string]any{"color": "red"}, UpgradeOptions{ReleaseName: "widgets", CRDs: helmv2.CreateReplace})
	g.Expect(err).NotTo(HaveOccurred(), "the OpenAPI validation knows the replaced CRD's new field")
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "widgets"}, widget)).To(Succeed())
	g.Expect(widget.Object["spec"]).To(HaveKeyWithValue("color", "red"))

	_, err = c.Upgrade(ctxFor(t), packageChart(t, "crds"), nil, UpgradeOptions{ReleaseName: "widgets", CRDs: "Sometimes"})
	g.Expect(err).To(MatchError(ContainSubstring(`unknown policy "Sometimes"`)))
}
