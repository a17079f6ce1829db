package helmrender

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// TestRenderPostRenderers: the release is post-rendered as helm-controller does it (its
// Kustomize patches, commonMetadata, the owner labels).
func TestRenderPostRenderers(t *testing.T) {
	chrt := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "web", Version: "1.0.0"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  greeting: {{ .Values.greeting }}\n")}},
	}
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "apps"}}
	hr.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "web"}}
	hr.Spec.PostRenderers = []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Patches: []fluxmeta.Patch{{
		Patch:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  annotations:\n    patched: \"yes\"\n",
		Target: &fluxmeta.Selector{Kind: "ConfigMap"},
	}}}}}
	objs, err := Render(Options{Release: hr, Chart: chrt, Values: map[string]any{"greeting": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	cm := objs[0]
	if cm.GetAnnotations()["patched"] != "yes" {
		t.Errorf("the Kustomize post-renderer did not run: annotations %v", cm.GetAnnotations())
	}
	labels := cm.GetLabels()
	if labels["team"] != "web" || labels[helmv2.NameLabel] != "web" || labels[helmv2.NamespaceLabel] != "apps" {
		t.Errorf("labels = %v", labels)
	}
}
