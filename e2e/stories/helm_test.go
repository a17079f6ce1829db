package stories

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmcli"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
)

// ingressNginxNamespace is where seed 002's HelmRelease lives and installs its release.
const ingressNginxNamespace = "ingress-nginx"

// TestStoryHelmReleaseFollowsChartRange is seed 002: the HelmRepository ingress-nginx (its
// URL moved to a chart repository served here) and the HelmRelease ingress-nginx with
// version "4.8.x" and values. The release installs 4.8.0, not 4.9.0 beside it, with the
// values applied; publishing 4.8.1 upgrades it, which the helm CLI sees as revision 2; the
// controllers' /metrics hold the reconcile durations of the three objects.
func TestStoryHelmReleaseFollowsChartRange(t *testing.T) {
	dumpLogsOnFailure(t)
	repo := chartRepository(t, "4.8.0", "4.9.0")

	step(t, "apply seed 002's HelmRepository (url %s) and HelmRelease ingress-nginx (version 4.8.x)", repo.URL())
	source, release := applyIngressNginx(t, repo)

	hr := waitReady(t, release, releasedVersion("4.8.0", 1),
		readyBecause("InstallSucceeded", "Helm install succeeded for release ingress-nginx/ingress-nginx.v1 with chart ingress-nginx@4.8.0"))
	chartRef, _, _ := unstructured.NestedString(hr.Object, "status", "helmChart")
	NewWithT(t).Expect(chartRef).To(Equal(fleet.Namespace+"/ingress-nginx-ingress-nginx"), "the HelmChart is named <namespace>-<name> in the source's namespace")
	helmChart := &unstructured.Unstructured{}
	helmChart.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	helmChart.SetKind("HelmChart")
	helmChart.SetNamespace(fleet.Namespace)
	helmChart.SetName("ingress-nginx-ingress-nginx")
	waitReady(t, helmChart, hasRevision("4.8.0"), readyBecause("ChartPullSucceeded", "pulled 'ingress-nginx' chart with version '4.8.0'"))
	waitDeployment(t, ingressNginxNamespace, "ingress-nginx-controller", 2, requests("100m", "128Mi"))
	svc := &corev1.Service{}
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ingressNginxNamespace, Name: "ingress-nginx-controller"}, svc)).To(Succeed())
	NewWithT(t).Expect(svc.Spec.Ports).To(ContainElement(HaveField("Name", "metrics")), "values controller.metrics.enabled: true adds the metrics port")
	step(t, "release ingress-nginx is chart 4.8.0 (not 4.9.0): 2 available replicas requesting cpu 100m, memory 128Mi; Service with a metrics port")

	step(t, "publish 4.8.1 (regenerate index.yaml) and ask for a reconcile of the HelmRepository")
	addChartVersions(t, repo, "4.8.1")
	requestReconcile(t, source)
	waitReady(t, helmChart, hasRevision("4.8.1"), readyBecause("ChartPullSucceeded", "pulled 'ingress-nginx' chart with version '4.8.1'"))
	upgraded := "Helm upgrade succeeded for release ingress-nginx/ingress-nginx.v2 with chart ingress-nginx@4.8.1"
	waitReady(t, release, releasedVersion("4.8.1", 2), readyBecause("UpgradeSucceeded", upgraded))
	waitEvent(t, release, corev1.EventTypeNormal, "UpgradeSucceeded", upgraded)
	waitDeployment(t, ingressNginxNamespace, "ingress-nginx-controller", 2, requests("100m", "128Mi"), chartLabel("ingress-nginx-4.8.1"))
	step(t, "the HelmChart picked 4.8.1 and the release was upgraded to it")

	helm := helmcli.New(t, repoRoot, env.Kubeconfig)
	var ls []helmcli.Release
	NewWithT(t).Expect(json.Unmarshal(helm("ls", "-n", ingressNginxNamespace, "-o", "json"), &ls)).To(Succeed())
	NewWithT(t).Expect(ls).To(ConsistOf(helmcli.Release{Name: "ingress-nginx", Namespace: ingressNginxNamespace, Revision: "2", Status: "deployed", Chart: "ingress-nginx-4.8.1"}))
	var history []helmcli.Release
	NewWithT(t).Expect(json.Unmarshal(helm("history", "ingress-nginx", "-n", ingressNginxNamespace, "-o", "json"), &history)).To(Succeed())
	NewWithT(t).Expect(history).To(HaveLen(2))
	NewWithT(t).Expect(history[0]).To(And(HaveField("Revision", BeEquivalentTo(1)), HaveField("Status", "superseded"), HaveField("Chart", "ingress-nginx-4.8.0")))
	NewWithT(t).Expect(history[1]).To(And(HaveField("Revision", BeEquivalentTo(2)), HaveField("Status", "deployed"), HaveField("Chart", "ingress-nginx-4.8.1")))
	step(t, "helm ls shows ingress-nginx-4.8.1, revision 2, deployed; helm history has 2 revisions")

	const durations = "gotk_reconcile_duration_seconds_count"
	waitMetric(t, "helm-controller", durations, release, "[1-9]")
	waitMetric(t, "source-controller", durations, source, "[1-9]")
	waitMetric(t, "source-controller", durations, helmChart, "[1-9]")
	step(t, "/metrics: gotk_reconcile_duration_seconds of the HelmRelease (helm-controller), HelmRepository and HelmChart (source-controller)")

	checkInvariants(t, source, &sourcev1.HelmRepository{})
	checkInvariants(t, helmChart, &sourcev1.HelmChart{})
	checkInvariants(t, release, &helmv2.HelmRelease{})
}

// checkInvariants reads o into typed and checks the kstatus invariants of its conditions.
func checkInvariants(t *testing.T, o *unstructured.Unstructured, typed fluxmeta.StatusObject) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(get(NewWithT(t), o).Object, typed); err != nil {
		t.Fatal(err)
	}
	if err := conditions.CheckInvariants(typed); err != nil {
		t.Errorf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
}

// applyIngressNginx applies seed 002's HelmRepository, moved to repo, and HelmRelease
// ingress-nginx; both are removed when the test ends, and then the release's Service is gone.
func applyIngressNginx(t *testing.T, repo *helmrepo.Server) (source, release *unstructured.Unstructured) {
	t.Helper()
	ensureNamespace(t, ingressNginxNamespace)
	source = seedObject(t, "HelmRepository", "ingress-nginx", fleet.Namespace)
	NewWithT(t).Expect(unstructured.SetNestedField(source.Object, repo.URL(), "spec", "url")).To(Succeed())
	release = seedObject(t, "HelmRelease", "ingress-nginx", ingressNginxNamespace)
	apply(t, source, release)
	t.Cleanup(func() {
		if !t.Failed() {
			waitGone(t, &corev1.Service{ObjectMeta: objectMeta(ingressNginxNamespace, "ingress-nginx-controller")})
		}
	})
	deleteOnCleanup(t, release, source)
	return source, release
}

// chartRepository serves a Helm repository holding the ingress-nginx chart of
// testdata/charts at each of versions.
func chartRepository(t *testing.T, versions ...string) *helmrepo.Server {
	t.Helper()
	repo, err := helmrepo.New(helmrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(repo.Close)
	addChartVersions(t, repo, versions...)
	return repo
}

// addChartVersions packages testdata/charts/ingress-nginx at each of versions into repo and
// regenerates its index, as `helm package` and `helm repo index` do.
func addChartVersions(t *testing.T, repo *helmrepo.Server, versions ...string) {
	t.Helper()
	files := dirFiles(t, filepath.Join("..", "testdata", "charts", "ingress-nginx"))
	for _, v := range versions {
		files["Chart.yaml"] = replaceOnce(t, files["Chart.yaml"], "\nversion: 4.8.0\n", "\nversion: "+v+"\n")
		if _, err := repo.AddChart(files); err != nil {
			t.Fatal(err)
		}
		files["Chart.yaml"] = replaceOnce(t, files["Chart.yaml"], "\nversion: "+v+"\n", "\nversion: 4.8.0\n")
	}
	if err := repo.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
}

// releasedVersion checks that a HelmRelease's latest release is chart version at Helm
// revision, deployed, and that it was the last attempt.
func releasedVersion(version string, revision int64) func(Gomega, *unstructured.Unstructured) {
	return func(g Gomega, o *unstructured.Unstructured) {
		attempted, _, _ := unstructured.NestedString(o.Object, "status", "lastAttemptedRevision")
		g.Expect(attempted).To(Equal(version))
		history, _, _ := unstructured.NestedSlice(o.Object, "status", "history")
		g.Expect(history).NotTo(BeEmpty())
		latest, _ := history[0].(map[string]any)
		g.Expect(latest).To(HaveKeyWithValue("chartVersion", version))
		g.Expect(latest).To(HaveKeyWithValue("status", "deployed"))
		g.Expect(latest).To(HaveKeyWithValue("version", BeEquivalentTo(revision)))
	}
}

// readyBecause checks that an object's Ready condition has reason and message.
func readyBecause(reason, message string) func(Gomega, *unstructured.Unstructured) {
	return func(g Gomega, o *unstructured.Unstructured) {
		_, gotReason, gotMessage := condition(o, "Ready")
		g.Expect(gotReason).To(Equal(reason))
		g.Expect(gotMessage).To(Equal(message))
	}
}

// waitEvent waits until a Kubernetes Event of type, reason and message was recorded for o,
// as `kubectl events --for` shows it.
func waitEvent(t *testing.T, o *unstructured.Unstructured, typ, reason, message string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		events := &corev1.EventList{}
		g.Expect(env.Client.List(context.Background(), events, client.InNamespace(o.GetNamespace()))).To(Succeed())
		g.Expect(events.Items).To(ContainElement(And(
			HaveField("InvolvedObject.Kind", o.GetKind()), HaveField("InvolvedObject.Name", o.GetName()),
			HaveField("Type", typ), HaveField("Reason", reason), HaveField("Message", message))))
	}, timeout, interval).Should(Succeed(), "no %s event %s for %s %s/%s", typ, reason, o.GetKind(), o.GetNamespace(), o.GetName())
}

// requests checks that the first container of a Deployment requests cpu and memory.
func requests(cpu, memory string) func(Gomega, *appsv1.Deployment) {
	return func(g Gomega, d *appsv1.Deployment) {
		g.Expect(d.Spec.Template.Spec.Containers).NotTo(BeEmpty())
		got := d.Spec.Template.Spec.Containers[0].Resources.Requests
		g.Expect(got.Cpu().Equal(resource.MustParse(cpu))).To(BeTrue(), "cpu request %s", got.Cpu())
		g.Expect(got.Memory().Equal(resource.MustParse(memory))).To(BeTrue(), "memory request %s", got.Memory())
	}
}

// chartLabel checks that a Deployment was rendered by chart (its helm.sh/chart label).
func chartLabel(chart string) func(Gomega, *appsv1.Deployment) {
	return func(g Gomega, d *appsv1.Deployment) {
		g.Expect(d.Labels).To(HaveKeyWithValue("helm.sh/chart", chart))
	}
}
