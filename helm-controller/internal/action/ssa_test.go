package action

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// dataChart returns a chart of the ConfigMap <release>-config holding .Values.data, and of
// the ConfigMaps <release>-extra (.Values.extra) and <release>-kept (.Values.kept), the latter
// annotated helm.sh/resource-policy: keep.
func dataChart() *chart.Chart {
	config := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n" +
		"{{- range $k, $v := .Values.data }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\n"
	extra := "{{- if .Values.extra }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-extra\ndata:\n  a: \"1\"\n{{- end }}\n"
	kept := "{{- if .Values.kept }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-kept\n" +
		"  annotations:\n    helm.sh/resource-policy: keep\ndata:\n  a: \"1\"\n{{- end }}\n"
	return &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "data", Version: "0.1.0"},
		Templates: []*chart.File{
			{Name: "templates/config.yaml", Data: []byte(config)},
			{Name: "templates/extra.yaml", Data: []byte(extra)},
			{Name: "templates/kept.yaml", Data: []byte(kept)},
		},
	}
}

// dataValues returns the values of dataChart.
func dataValues(data map[string]any, extra, kept bool) map[string]any {
	return map[string]any{"data": data, "extra": extra, "kept": kept}
}

// configMap reads the ConfigMap name of ns.
func configMap(g Gomega, ns, name string) *corev1.ConfigMap {
	var cm corev1.ConfigMap
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &cm)).To(Succeed())
	return &cm
}

// operations returns the operations of each field manager of an object.
func operations(fields []metav1.ManagedFieldsEntry) map[string][]metav1.ManagedFieldsOperationType {
	out := map[string][]metav1.ManagedFieldsOperationType{}
	for _, f := range fields {
		out[f.Manager] = append(out[f.Manager], f.Operation)
	}
	return out
}

// expectServerSide fails unless Helm's fields of the object are owned by FieldManager's apply
// only: no update of Helm's client-side field manager, no kubectl last-applied annotation.
func expectServerSide(g Gomega, cm *corev1.ConfigMap) {
	ops := operations(cm.ManagedFields)
	g.Expect(ops).To(HaveKeyWithValue(FieldManager, []metav1.ManagedFieldsOperationType{metav1.ManagedFieldsOperationApply}), "%v", ops)
	g.Expect(ops).NotTo(HaveKey(csaManager()), "%v", ops)
	g.Expect(cm.Annotations).NotTo(HaveKey(corev1.LastAppliedConfigAnnotation))
}

// expectClientSide fails unless Helm's fields of the object are owned by the update of Helm's
// client-side field manager, and no apply of FieldManager.
func expectClientSide(g Gomega, cm *corev1.ConfigMap) {
	ops := operations(cm.ManagedFields)
	g.Expect(ops).To(HaveKeyWithValue(csaManager(), ContainElement(metav1.ManagedFieldsOperationUpdate)), "%v", ops)
	g.Expect(ops).NotTo(HaveKey(FieldManager), "%v", ops)
}

// takeOver has the field manager "other" apply data.b of the ConfigMap name, forcing the
// conflict with Helm, and a label of its own.
func takeOver(g Gomega, ns, name string) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"other": "yes"}},
		"data":     map[string]any{"b": "other"},
	}}
	g.Expect(env.Client.Patch(context.Background(), u, client.Apply, client.FieldOwner("other"), client.ForceOwnership)).To(Succeed())
}

// expectMethod fails unless the stored revision of the release records method.
func expectMethod(g Gomega, c *Client, name string, version int, method string) {
	rel, err := c.cfg.Releases.Get(name, version)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Labels).To(HaveKeyWithValue(ApplyMethodLabel, method))
	g.Expect(ApplyMethod(rel)).To(Equal(method))
}

// TestServerSideInstall: an install with ServerSideApply applies every object as FieldManager
// and records ssa on the stored release, keeping the labels asked for; without it, the
// install is client-side and records csa.
func TestServerSideInstall(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	rel, err := c.Install(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "1"}, true, false),
		InstallOptions{ReleaseName: "ssa", ServerSideApply: true, Labels: map[string]string{"team": "a"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))
	expectServerSide(g, configMap(g, ns, "ssa-config"))
	expectServerSide(g, configMap(g, ns, "ssa-extra"))
	expectMethod(g, c, "ssa", 1, ApplyMethodServerSide)
	last, err := c.LastRelease("ssa")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Labels).To(HaveKeyWithValue("team", "a"))

	hooked := install(t, c, "hooks", "hooked", nil)
	g.Expect(ApplyMethod(hooked)).To(Equal(ApplyMethodClientSide), "client-side unless asked")
	expectMethod(g, c, "hooked", 1, ApplyMethodClientSide)

	// Server-side, Create refuses an object that exists, as Helm's client does.
	list, err := c.kube.Build(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-config\n  namespace: "+ns+"\n"), false)
	g.Expect(err).NotTo(HaveOccurred())
	c.kube.serverSideApply(true, false)
	_, err = c.kube.Create(list)
	g.Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
}

// TestServerSideUpgrade: an upgrade that applies server-side removes the fields the chart
// dropped, keeps those another field manager took over (which Helm's client-side patches
// delete), deletes the objects the chart dropped unless they say keep, and records ssa;
// force replaces the object before applying it.
func TestServerSideUpgrade(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	first := dataValues(map[string]any{"a": "1", "b": "1", "c": "1"}, true, true)
	_, err := c.Install(ctxFor(t), dataChart(), first, InstallOptions{ReleaseName: "up", ServerSideApply: true})
	g.Expect(err).NotTo(HaveOccurred())
	takeOver(g, ns, "up-config")

	rel, err := c.Upgrade(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "2"}, false, false),
		UpgradeOptions{ReleaseName: "up", ServerSideApply: helmv2.ServerSideApplyEnabled})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Info.Status).To(Equal(release.StatusDeployed))
	cm := configMap(g, ns, "up-config")
	g.Expect(cm.Data).To(Equal(map[string]string{"a": "2", "b": "other"}))
	g.Expect(cm.Labels).To(HaveKeyWithValue("other", "yes"))
	expectServerSide(g, cm)
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "up-extra"}, &corev1.ConfigMap{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the dropped object is deleted: %v", err)
	configMap(g, ns, "up-kept")
	expectMethod(g, c, "up", 2, ApplyMethodServerSide)

	// force replaces the object, which drops what other managers set, and then applies it.
	cm.Labels["by-hand"] = "yes"
	g.Expect(env.Client.Update(context.Background(), cm, client.FieldOwner("by-hand"))).To(Succeed())
	_, err = c.Upgrade(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "3"}, false, false),
		UpgradeOptions{ReleaseName: "up", ServerSideApply: helmv2.ServerSideApplyEnabled, Force: true})
	g.Expect(err).NotTo(HaveOccurred())
	cm = configMap(g, ns, "up-config")
	g.Expect(cm.Data).To(Equal(map[string]string{"a": "3"}))
	g.Expect(cm.Labels).NotTo(HaveKey("by-hand"))
	expectServerSide(g, cm)
	g.Expect(operations(cm.ManagedFields)).To(HaveLen(1), "only the apply of FieldManager is left")

	// The same on a release applied client-side: Helm's three-way merge deletes the field
	// that another manager owns.
	_, err = c.Install(ctxFor(t), dataChart(), first, InstallOptions{ReleaseName: "csa"})
	g.Expect(err).NotTo(HaveOccurred())
	takeOver(g, ns, "csa-config")
	_, err = c.Upgrade(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "2"}, false, false),
		UpgradeOptions{ReleaseName: "csa", ServerSideApply: helmv2.ServerSideApplyDisabled})
	g.Expect(err).NotTo(HaveOccurred())
	cm = configMap(g, ns, "csa-config")
	g.Expect(cm.Data).To(Equal(map[string]string{"a": "2"}))
	expectClientSide(g, cm)
	expectMethod(g, c, "csa", 2, ApplyMethodClientSide)
}

// TestServerSideAuto: auto upgrades as the release's latest revision was applied, a release
// without a record (Helm 3) counting as client-side; enabled on a release applied client-side
// hands Helm's fields over to the apply, so a field dropped later is removed.
func TestServerSideAuto(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	vals := func(a string) map[string]any { return dataValues(map[string]any{"a": a, "c": "1"}, false, false) }

	_, err := c.Install(ctxFor(t), dataChart(), vals("1"), InstallOptions{ReleaseName: "ssa", ServerSideApply: true})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.Upgrade(ctxFor(t), dataChart(), vals("2"), UpgradeOptions{ReleaseName: "ssa"})
	g.Expect(err).NotTo(HaveOccurred())
	cm := configMap(g, ns, "ssa-config")
	g.Expect(cm.Data).To(HaveKeyWithValue("a", "2"))
	expectServerSide(g, cm)
	expectMethod(g, c, "ssa", 2, ApplyMethodServerSide)

	_, err = c.Install(ctxFor(t), dataChart(), vals("1"), InstallOptions{ReleaseName: "csa"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.Upgrade(ctxFor(t), dataChart(), vals("2"), UpgradeOptions{ReleaseName: "csa", ServerSideApply: helmv2.ServerSideApplyAuto})
	g.Expect(err).NotTo(HaveOccurred())
	cm = configMap(g, ns, "csa-config")
	g.Expect(cm.Data).To(HaveKeyWithValue("a", "2"))
	expectClientSide(g, cm)
	expectMethod(g, c, "csa", 2, ApplyMethodClientSide)

	// A release that Helm 3 wrote has no record: client-side.
	rel, err := c.cfg.Releases.Get("csa", 2)
	g.Expect(err).NotTo(HaveOccurred())
	delete(rel.Labels, ApplyMethodLabel)
	g.Expect(c.cfg.Releases.Update(rel)).To(Succeed())
	_, err = c.Upgrade(ctxFor(t), dataChart(), vals("3"), UpgradeOptions{ReleaseName: "csa"})
	g.Expect(err).NotTo(HaveOccurred())
	expectClientSide(g, configMap(g, ns, "csa-config"))
	expectMethod(g, c, "csa", 3, ApplyMethodClientSide)

	_, err = c.Upgrade(ctxFor(t), dataChart(), vals("4"), UpgradeOptions{ReleaseName: "csa", ServerSideApply: helmv2.ServerSideApplyEnabled})
	g.Expect(err).NotTo(HaveOccurred())
	expectServerSide(g, configMap(g, ns, "csa-config"))
	expectMethod(g, c, "csa", 4, ApplyMethodServerSide)
	_, err = c.Upgrade(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "5"}, false, false), UpgradeOptions{ReleaseName: "csa"})
	g.Expect(err).NotTo(HaveOccurred())
	cm = configMap(g, ns, "csa-config")
	g.Expect(cm.Data).To(Equal(map[string]string{"a": "5"}), "the field Helm set client-side is removed by the apply")
	expectServerSide(g, cm)
}

// TestServerSideRollback: a rollback applies server-side when enabled, whatever the revision
// it goes back to used, and records it; auto follows the revision it goes back to.
func TestServerSideRollback(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	_, err := c.Install(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "1"}, false, false), InstallOptions{ReleaseName: "rb"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.Upgrade(ctxFor(t), dataChart(), dataValues(map[string]any{"a": "2", "d": "1"}, true, false),
		UpgradeOptions{ReleaseName: "rb", ServerSideApply: helmv2.ServerSideApplyEnabled})
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Rollback(ctxFor(t), "rb", RollbackOptions{Version: 1, ServerSideApply: helmv2.ServerSideApplyEnabled})).To(Succeed())
	cm := configMap(g, ns, "rb-config")
	g.Expect(cm.Data).To(Equal(map[string]string{"a": "1"}))
	expectServerSide(g, cm)
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "rb-extra"}, &corev1.ConfigMap{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the object of the later revision is deleted: %v", err)
	expectMethod(g, c, "rb", 3, ApplyMethodServerSide)

	// auto goes back to revision 2 server-side, and to revision 1 client-side.
	g.Expect(c.Rollback(ctxFor(t), "rb", RollbackOptions{Version: 2})).To(Succeed())
	expectServerSide(g, configMap(g, ns, "rb-extra"))
	expectMethod(g, c, "rb", 4, ApplyMethodServerSide)
	g.Expect(c.Rollback(ctxFor(t), "rb", RollbackOptions{Version: 1, ServerSideApply: helmv2.ServerSideApplyAuto})).To(Succeed())
	expectMethod(g, c, "rb", 5, ApplyMethodClientSide)
	g.Expect(configMap(g, ns, "rb-config").Data).To(Equal(map[string]string{"a": "1"}))
}
