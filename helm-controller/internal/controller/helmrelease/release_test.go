package helmrelease

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// releaseSecrets lists the Helm storage Secrets of a release.
func releaseSecrets(g Gomega, ns, name string) []corev1.Secret {
	var list corev1.SecretList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns),
		client.MatchingLabels{"owner": "helm", "name": name})).To(Succeed())
	return list.Items
}

func TestInstallUpgradeAndNoOp(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "web", "app", `{"message":"one"}`)
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.InstallSucceededReason))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal(
		"Helm install succeeded for release " + ns + "/web.v1 with chart app@0.1.0"))
	g.Expect(conditions.IsTrue(got, helmv2.ReleasedCondition)).To(BeTrue())
	g.Expect(got.Status.History).To(HaveLen(1))
	snap := got.Status.History[0]
	g.Expect(snap.Version).To(Equal(1))
	g.Expect(snap.Status).To(Equal(helmv2.SnapshotStatusDeployed))
	g.Expect(snap.Action).To(Equal(string(helmv2.ReleaseActionInstall)))
	g.Expect(snap.ChartName + "@" + snap.ChartVersion).To(Equal("app@0.1.0"))
	g.Expect(snap.ConfigDigest).To(Equal(got.Status.LastAttemptedConfigDigest))
	g.Expect(got.Status.LastAttemptedRevision).To(Equal("0.1.0"))
	g.Expect(got.Status.LastAttemptedReleaseAction).To(Equal(helmv2.ReleaseActionInstall))
	g.Expect(got.Status.LastAttemptedGeneration).To(Equal(got.Generation))
	g.Expect(got.Status.LastAttemptedValuesChecksum).NotTo(BeEmpty())
	g.Expect(got.Status.StorageNamespace).To(Equal(ns))
	g.Expect(got.Status.Inventory).NotTo(BeNil())
	g.Expect(got.Status.Inventory.Entries).To(ConsistOf(
		HaveField("ID", ns+"_web_apps_Deployment"), HaveField("ID", ns+"_web__Service")))

	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "web"), &dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Annotations["message"]).To(Equal("one"))
	g.Expect(dep.Labels[helmv2.NameLabel]).To(Equal("web"))
	g.Expect(releaseSecrets(g, ns, "web")).To(HaveLen(1))

	// Unchanged: a forced reconcile makes no new revision.
	statuscheck.RequestReconcile(t, k8s, hr)
	g.Expect(releaseSecrets(g, ns, "web")).To(HaveLen(1))

	// New values: an upgrade.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"message":"two"}`) })
	got = statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue())
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.UpgradeSucceededReason))
	})
	g.Expect(got.Status.History[0].Version).To(Equal(2))
	g.Expect(got.Status.History[0].Action).To(Equal(string(helmv2.ReleaseActionUpgrade)))
	g.Expect(got.Status.History[1].Action).To(Equal(string(helmv2.ReleaseActionInstall)), "kept by the sync with the storage")
	g.Expect(got.Status.LastAttemptedReleaseAction).To(Equal(helmv2.ReleaseActionUpgrade))
	g.Expect(k8s.Get(ctx, key(ns, "web"), &dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Annotations["message"]).To(Equal("two"))
	g.Expect(releaseSecrets(g, ns, "web")).To(HaveLen(2))

	// A new chart version: an upgrade to it.
	hc := &sourcev1.HelmChart{}
	g.Expect(k8s.Get(ctx, key(ns, "app"), hc)).To(Succeed())
	art := chartArtifact(t, "app", "0.2.0")
	setArtifact(t, hc, &art)
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History[0].ChartVersion).To(Equal("0.2.0"))
	})
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.LastAttemptedRevision).To(Equal("0.2.0"))

	deleteAndWait(t, hr)
	g.Eventually(func() []corev1.Secret { return releaseSecrets(g, ns, "web") }, testenv.Timeout, testenv.Interval).Should(BeEmpty())
	g.Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key(ns, "web"), &appsv1.Deployment{})) },
		testenv.Timeout, testenv.Interval).Should(BeTrue())
}

func TestHelmChartTemplate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "tpl", Namespace: ns},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			Chart: &helmv2.HelmChartTemplate{
				ObjectMeta: &helmv2.HelmChartTemplateObjectMeta{
					Labels:      map[string]string{"team": "web"},
					Annotations: map[string]string{"owner": "ops"},
				},
				Spec: helmv2.HelmChartTemplateSpec{
					Chart:   "app",
					Version: "0.1.x",
					SourceRef: helmv2.CrossNamespaceObjectReference{APIVersion: sourcev1.GroupVersion.String(),
						Kind: sourcev1.HelmRepositoryKind, Name: "repo"},
					Interval:                 &metav1.Duration{Duration: 10 * time.Minute},
					ReconcileStrategy:        helmv2.ReconcileStrategyRevision,
					IgnoreMissingValuesFiles: true,
				},
			},
		},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// The HelmChart is created from the template, owned, and the release waits for its artifact.
	hc := &sourcev1.HelmChart{}
	g.Eventually(func() error { return k8s.Get(ctx, key(ns, ns+"-tpl"), hc) }, testenv.Timeout, testenv.Interval).Should(Succeed())
	g.Expect(hc.Spec.Chart).To(Equal("app"))
	g.Expect(hc.Spec.Version).To(Equal("0.1.x"))
	g.Expect(hc.Spec.SourceRef).To(Equal(sourcev1.LocalHelmChartSourceReference{APIVersion: sourcev1.GroupVersion.String(),
		Kind: sourcev1.HelmRepositoryKind, Name: "repo"}))
	g.Expect(hc.Spec.Interval.Duration).To(Equal(10 * time.Minute))
	g.Expect(hc.Spec.ReconcileStrategy).To(Equal(sourcev1.ReconcileStrategyRevision))
	g.Expect(hc.Spec.IgnoreMissingValuesFiles).To(BeTrue())
	g.Expect(hc.Labels).To(HaveKeyWithValue("team", "web"))
	g.Expect(hc.Annotations).To(HaveKeyWithValue("owner", "ops"))
	g.Expect(hc.Labels[helmv2.NameLabel]).To(Equal("tpl"))
	g.Expect(hc.OwnerReferences).To(HaveLen(1))
	got := statuscheck.NotReady(t, k8s, hr, helmv2.ArtifactFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("HelmChart '" + ns + "/" + ns + "-tpl' is not ready"))
	g.Expect(conditions.IsTrue(got, fluxmeta.ReconcilingCondition)).To(BeTrue())
	g.Expect(got.Status.HelmChart).To(Equal(ns + "/" + ns + "-tpl"))

	// The version is not found: the HelmChart's message is passed on.
	hc.Status.ObservedGeneration = hc.Generation
	conditions.MarkFalse(hc, fluxmeta.ReadyCondition, "InvalidChartReference", "no 'app' chart with version matching '0.1.x' found")
	g.Expect(k8s.Status().Update(ctx, hc)).To(Succeed())
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition).Message).To(Equal(
			"HelmChart '" + ns + "/" + ns + "-tpl' is not ready: no 'app' chart with version matching '0.1.x' found"))
	})

	art := chartArtifact(t, "app", "0.1.0")
	setArtifact(t, hc, &art)
	statuscheck.Ready(t, k8s, hr)

	// A new template spec updates the HelmChart.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Chart.Spec.Version = "0.2.x"
		o.Spec.Chart.Spec.ValuesFiles = []string{"values.yaml", "prod.yaml"}
	})
	g.Eventually(func() []string {
		g.Expect(k8s.Get(ctx, key(ns, ns+"-tpl"), hc)).To(Succeed())
		return append([]string{hc.Spec.Version}, hc.Spec.ValuesFiles...)
	}, testenv.Timeout, testenv.Interval).Should(Equal([]string{"0.2.x", "values.yaml", "prod.yaml"}))

	// Moving to a chartRef deletes the HelmChart.
	helmChart(t, ns, "shared", "app", "0.1.0")
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Chart = nil
		o.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: "shared"}
	})
	g.Eventually(func() bool {
		return client.IgnoreNotFound(k8s.Get(ctx, key(ns, ns+"-tpl"), &sourcev1.HelmChart{})) == nil &&
			k8s.Get(ctx, key(ns, ns+"-tpl"), &sourcev1.HelmChart{}) != nil
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	got = statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.HelmChart).To(BeEmpty())
}

func TestChartNameChangeReinstalls(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	helmChart(t, ns, "small", "small", "0.1.0")
	hr := newRelease(ns, "renamed", "app", "")
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.ChartRef.Name = "small" })
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History.Latest().ChartName).To(Equal("small"))
	})
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.History.Latest().Version).To(Equal(1))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.InstallSucceededReason))
	g.Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key(ns, "renamed"), &appsv1.Deployment{})) },
		testenv.Timeout, testenv.Interval).Should(BeTrue())
	g.Expect(k8s.Get(ctx, key(ns, "renamed"), &corev1.ConfigMap{})).To(Succeed())
}

func TestHelmChartFollowsSourceNamespace(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns, sources := testenv.NewNamespace(t, k8s), testenv.NewNamespace(t, k8s)
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "moving", Namespace: ns},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart:     "app",
				SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: "repo", Namespace: sources},
			}},
		},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	exists := func(namespace string) func() bool {
		return func() bool { return k8s.Get(ctx, key(namespace, ns+"-moving"), &sourcev1.HelmChart{}) == nil }
	}
	g.Eventually(exists(sources), testenv.Timeout, testenv.Interval).Should(BeTrue())

	// The source moves: the HelmChart is created beside it and the old one deleted.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Chart.Spec.SourceRef.Namespace = "" })
	g.Eventually(exists(ns), testenv.Timeout, testenv.Interval).Should(BeTrue())
	g.Eventually(exists(sources), testenv.Timeout, testenv.Interval).Should(BeFalse())
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.HelmChart).To(Equal(ns + "/" + ns + "-moving"))
	})

	// Deleting the release deletes its HelmChart.
	deleteAndWait(t, hr)
	g.Eventually(exists(ns), testenv.Timeout, testenv.Interval).Should(BeFalse())
}

func TestReleaseMoves(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns, storage := testenv.NewNamespace(t, k8s), testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "mover", "app", "")
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// A new release name and storage namespace: the old release is uninstalled first.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.ReleaseName = "moved"
		o.Spec.StorageNamespace = storage
	})
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History.Latest().Name).To(Equal("moved"))
	})
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.StorageNamespace).To(Equal(storage))
	g.Expect(got.Status.History).To(HaveLen(1))
	g.Expect(releaseSecrets(g, ns, "mover")).To(BeEmpty())
	g.Expect(releaseSecrets(g, storage, "moved")).To(HaveLen(1))
	g.Expect(apierrors.IsNotFound(k8s.Get(ctx, key(ns, "mover"), &appsv1.Deployment{}))).To(BeTrue())
	g.Expect(k8s.Get(ctx, key(ns, "moved"), &appsv1.Deployment{})).To(Succeed())
}

func TestChartNameChangeInPlaceUpdate(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	helmChart(t, ns, "small", "small", "0.1.0")
	hr := newRelease(ns, "inplace", "app", "")
	hr.Spec.Upgrade = &helmv2.Upgrade{ChartNameChangeStrategy: helmv2.ChartNameChangeInPlaceUpdate}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// The new chart upgrades the release in place: revision 2, not a new revision 1.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.ChartRef.Name = "small" })
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History.Latest().ChartName).To(Equal("small"))
	})
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.History.Latest().Version).To(Equal(2))
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.UpgradeSucceededReason))
	g.Expect(releaseSecrets(g, ns, "inplace")).To(HaveLen(2))
}

func TestCrossNamespaceChartRef(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns, sources := testenv.NewNamespace(t, k8s), testenv.NewNamespace(t, k8s)
	helmChart(t, sources, "shared", "small", "0.1.0")
	hr := newRelease(ns, "borrower", "shared", "")
	hr.Spec.ChartRef.APIVersion = sourcev1.GroupVersion.String()
	hr.Spec.ChartRef.Namespace = sources
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.History.Latest().ChartName).To(Equal("small"))
	g.Expect(k8s.Get(ctx, key(ns, "borrower"), &corev1.ConfigMap{})).To(Succeed())

	// A new artifact of the HelmChart in the other namespace upgrades the release.
	hc := &sourcev1.HelmChart{}
	g.Expect(k8s.Get(ctx, key(sources, "shared"), hc)).To(Succeed())
	art := chartArtifact(t, "small", "0.2.0")
	setArtifact(t, hc, &art)
	statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History.Latest().ChartVersion).To(Equal("0.2.0"))
	})
}

func TestMaxHistory(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	hr := newRelease(ns, "capped", "small", `{"message":"1"}`)
	two, persistent := 2, true
	hr.Spec.MaxHistory = &two
	hr.Spec.PersistentClient = &persistent
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// Each upgrade keeps at most two revisions in the storage.
	for i, msg := range []string{"2", "3", "4"} {
		statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"message":"` + msg + `"}`) })
		waitVersion(t, hr, i+2)
	}
	statuscheck.Ready(t, k8s, hr)
	secrets := releaseSecrets(g, ns, "capped")
	g.Expect(secrets).To(HaveLen(2))
	g.Expect([]string{secrets[0].Labels["version"], secrets[1].Labels["version"]}).To(ConsistOf("3", "4"))
}

func TestSuspend(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	hr := newRelease(ns, "paused", "small", "")
	hr.Spec.Suspend = true
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// Suspended from the start: nothing is installed.
	g.Consistently(func() []corev1.Secret { return releaseSecrets(g, ns, "paused") }, 2*time.Second, testenv.Interval).Should(BeEmpty())
	cur, err := statuscheck.Get(ctx, k8s, hr)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cur.Status.Conditions).To(BeEmpty())

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Suspend = false })
	statuscheck.Ready(t, k8s, hr)

	// Suspended again: a new spec is not released, and deleting it leaves the release.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Suspend = true
		o.Spec.Values = jsonValues(`{"message":"not now"}`)
	})
	g.Consistently(func() []corev1.Secret { return releaseSecrets(g, ns, "paused") }, 2*time.Second, testenv.Interval).Should(HaveLen(1))
	deleteAndWait(t, hr)
	g.Expect(releaseSecrets(g, ns, "paused")).To(HaveLen(1))
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "paused"), &cm)).To(Succeed())
	g.Expect(cm.Data["message"]).To(Equal("hello"))
}

func TestTargetNamespaceCreated(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	target := ns + "-target"
	t.Cleanup(func() {
		_ = k8s.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: target}})
	})
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "web", "app", "")
	hr.Spec.TargetNamespace = target
	hr.Spec.Install = &helmv2.Install{CreateNamespace: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// The target namespace is created; the release is named after it and stored beside the
	// HelmRelease.
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, key("", target), &corev1.Namespace{})).To(Succeed())
	g.Expect(k8s.Get(ctx, key(target, target+"-web"), &appsv1.Deployment{})).To(Succeed())
	g.Expect(got.Status.History.Latest().Namespace).To(Equal(target))
	g.Expect(releaseSecrets(g, ns, target+"-web")).To(HaveLen(1))
}

func TestReplaceKeptHistory(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	helmChart(t, ns, "small", "small", "0.1.0")
	hr := newRelease(ns, "kept", "app", "")
	hr.Spec.Uninstall = &helmv2.Uninstall{KeepHistory: true}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// A new chart name reinstalls: the uninstall keeps the history, so the name is still in
	// use and only install.replace lets the install reuse it.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.ChartRef.Name = "small" })
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("cannot re-use a name that is still in use"))

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Install = &helmv2.Install{Replace: true} })
	got = statuscheck.Ready(t, k8s, hr)
	latest := got.Status.History.Latest()
	g.Expect(latest.ChartName + " v" + fmt.Sprint(latest.Version)).To(Equal("small v2"))
	secrets := releaseSecrets(g, ns, "kept")
	g.Expect(secrets).To(HaveLen(2))
	g.Expect([]string{secrets[0].Labels["status"], secrets[1].Labels["status"]}).To(ConsistOf("superseded", "deployed"), "the replaced revision is superseded")
}
