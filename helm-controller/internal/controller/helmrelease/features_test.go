package helmrelease

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestValuesFrom(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "vals", "app", `{"message":"inline"}`)
	hr.Spec.ValuesFrom = []helmv2.ValuesReference{
		{Kind: "ConfigMap", Name: "base"},
		{Kind: "Secret", Name: "absent", Optional: true},
		{Kind: "Secret", Name: "image", ValuesKey: "tag", TargetPath: "image"},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	// A missing ConfigMap is a clear wait, not a failure.
	got := statuscheck.NotReady(t, k8s, hr, helmv2.InitFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("could not find ConfigMap 'base' referenced in spec.valuesFrom"))
	g.Expect(conditions.IsTrue(got, fluxmeta.ReconcilingCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.StalledCondition)).To(BeNil())

	// Creating the references wakes the release up.
	g.Expect(k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "base", Namespace: ns},
		Data: map[string]string{"values.yaml": "message: base\nreplicaCount: 2\n"}})).To(Succeed())
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "image", Namespace: ns},
		Data: map[string][]byte{"tag": []byte("nginx:1.28")}})).To(Succeed())
	got = statuscheck.Ready(t, k8s, hr)

	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "vals"), &dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Annotations["message"]).To(Equal("inline"))
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(2)))
	g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal("nginx:1.28"))

	// A changed Secret upgrades the release.
	g.Expect(k8s.Update(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "image", Namespace: ns},
		Data: map[string][]byte{"tag": []byte("nginx:1.29")}})).To(Succeed())
	g.Eventually(func() string {
		g.Expect(k8s.Get(ctx, key(ns, "vals"), &dep)).To(Succeed())
		return dep.Spec.Template.Spec.Containers[0].Image
	}, testenv.RolloutTimeout, testenv.Interval).Should(Equal("nginx:1.29"))
	waitVersion(t, hr, 2)
	statuscheck.Ready(t, k8s, hr)
}

func TestPostRenderersAndCommonMetadata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "pr", "app", "")
	hr.Spec.PostRenderers = []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{
		Patches: []fluxmeta.Patch{{
			Target: &fluxmeta.Selector{Kind: "Deployment"},
			Patch:  `[{"op":"replace","path":"/spec/replicas","value":3}]`,
		}},
		Images: []fluxmeta.Image{{Name: "nginx", NewTag: "patched"}},
	}}}
	hr.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "web"}, Annotations: map[string]string{"owner": "ops"}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.ObservedPostRenderersDigest).To(HavePrefix("sha256:"))

	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "pr"), &dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(3)))
	g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal("nginx:patched"))
	g.Expect(dep.Labels["team"]).To(Equal("web"))
	var svc corev1.Service
	g.Expect(k8s.Get(ctx, key(ns, "pr"), &svc)).To(Succeed())
	g.Expect(svc.Labels["team"]).To(Equal("web"))
	g.Expect(svc.Annotations["owner"]).To(Equal("ops"))
	g.Expect(dep.Annotations["owner"]).To(Equal("ops"))

	// Changing only the post-renderers upgrades the release.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.PostRenderers[0].Kustomize.Images[0].NewTag = "again" })
	g.Eventually(func() string {
		g.Expect(k8s.Get(ctx, key(ns, "pr"), &dep)).To(Succeed())
		return dep.Spec.Template.Spec.Containers[0].Image
	}, testenv.RolloutTimeout, testenv.Interval).Should(Equal("nginx:again"))
	statuscheck.Ready(t, k8s, hr)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	tests := []struct {
		name, values, want string
	}{
		{name: "schema", values: `{"replicaCount":"many"}`, want: "values don't meet the specifications of the schema"},
		{name: "template", values: `{"fail":true}`, want: "the chart was asked to fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			hr := newRelease(ns, tt.name, "app", tt.values)
			g.Expect(k8s.Create(context.Background(), hr)).To(Succeed())
			got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
			ready := conditions.Get(got, fluxmeta.ReadyCondition)
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Message).To(HavePrefix("failed to install after 1 attempt(s): "))
			g.Expect(ready.Message).To(ContainSubstring(tt.want))
			released := conditions.Get(got, helmv2.ReleasedCondition)
			g.Expect(released.Reason).To(Equal(helmv2.InstallFailedReason))
			g.Expect(got.Status.InstallFailures).To(Equal(int64(1)))
			g.Expect(got.Status.Failures).To(Equal(int64(1)))

			// A reset request clears the counters and tries again.
			statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
				o.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: "r1", fluxmeta.ResetRequestAnnotation: "r1"}
			})
			statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
				g.Expect(cur.Status.LastHandledResetAt).To(Equal("r1"))
			})
			got = statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
			g.Expect(got.Status.InstallFailures).To(Equal(int64(1)))
		})
	}
}

func TestChartRefOCIRepository(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	repo := &sourcev1.OCIRepository{
		ObjectMeta: metav1.ObjectMeta{Name: "oci", Namespace: ns},
		Spec: sourcev1.OCIRepositorySpec{
			URL:      "oci://registry.example/charts/app",
			Interval: metav1.Duration{Duration: 3600e9},
		},
	}
	g.Expect(k8s.Create(ctx, repo)).To(Succeed())
	art := chartArtifact(t, "app", "0.1.0")
	hex := strings.TrimPrefix(art.Digest, "sha256:")
	art.Revision = "0.1.0@sha256:" + hex
	setArtifact(t, repo, &art)

	hr := newRelease(ns, "oci", "oci", "")
	hr.Spec.ChartRef.Kind = sourcev1.OCIRepositoryKind
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(got.Status.LastAttemptedRevision).To(Equal("0.1.0+" + hex[:12]))
	g.Expect(got.Status.LastAttemptedRevisionDigest).To(Equal(art.Digest))
	g.Expect(got.Status.History[0].OCIDigest).To(Equal(art.Digest))
	g.Expect(got.Status.History[0].ChartVersion).To(Equal("0.1.0+" + hex[:12]))
}

func TestDependsOn(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	second := newRelease(ns, "second", "app", "")
	second.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "first"}}
	g.Expect(k8s.Create(ctx, second)).To(Succeed())
	got := statuscheck.NotReady(t, k8s, second, helmv2.DependencyNotReadyReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("dependency '" + ns + "/first' not found"))

	g.Expect(k8s.Create(ctx, newRelease(ns, "first", "app", ""))).To(Succeed())
	statuscheck.Ready(t, k8s, second)
}

func TestDriftDetection(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	hr := newRelease(ns, "drift", "app", "")
	hr.Spec.DriftDetection = &helmv2.DriftDetection{Mode: helmv2.DriftDetectionWarn}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	scale := func(replicas int32) {
		var dep appsv1.Deployment
		g.Expect(k8s.Get(ctx, key(ns, "drift"), &dep)).To(Succeed())
		dep.Spec.Replicas = &replicas
		g.Expect(k8s.Update(ctx, &dep)).To(Succeed())
	}

	// Drift is looked for when the release needs no action.
	statuscheck.RequestReconcile(t, k8s, hr)
	got := waitCondition(t, hr, helmv2.DriftedCondition, metav1.ConditionFalse, helmv2.NoDriftDetectedReason)
	g.Expect(conditions.Get(got, helmv2.DriftedCondition).Message).To(HavePrefix("No drift detected for release"))

	// Warn mode reports the drift and leaves it.
	scale(4)
	got = statuscheck.RequestReconcile(t, k8s, hr)
	drifted := conditions.Get(got, helmv2.DriftedCondition)
	g.Expect(drifted.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(drifted.Message).To(ContainSubstring("Deployment/" + ns + "/drift changed"))
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "drift"), &dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(4)))

	// Enabled mode corrects it without a new revision.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.DriftDetection.Mode = helmv2.DriftDetectionEnabled })
	g.Eventually(func() int32 {
		g.Expect(k8s.Get(ctx, key(ns, "drift"), &dep)).To(Succeed())
		return *dep.Spec.Replicas
	}, testenv.Timeout, testenv.Interval).Should(Equal(int32(1)))
	got = waitCondition(t, hr, helmv2.DriftedCondition, metav1.ConditionFalse, helmv2.NoDriftDetectedReason)
	g.Expect(got.Status.History.Latest().Version).To(Equal(1))
	g.Expect(releaseSecrets(g, ns, "drift")).To(HaveLen(1))
}

func TestChartWithCRDs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "crds", "crds", "0.1.0")
	hr := newRelease(ns, "gadgets", "crds", "")
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Ready(t, k8s, hr)

	gadget := &unstructured.Unstructured{}
	gadget.SetAPIVersion("helmrelease.ferry.test/v1")
	gadget.SetKind("Gadget")
	g.Expect(k8s.Get(ctx, key(ns, "gadgets"), gadget)).To(Succeed())
	size, _, _ := unstructured.NestedInt64(gadget.Object, "spec", "size")
	g.Expect(size).To(Equal(int64(3)))
	g.Expect(got.Status.Inventory.Entries).To(ConsistOf(HaveField("ID", ns+"_gadgets_helmrelease.ferry.test_Gadget")))
}

func TestPostRendererTargets(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	digest := "sha256:" + strings.Repeat("ab", 32)

	hr := newRelease(ns, "targets", "app", `{"hooks":true}`)
	hr.Spec.PostRenderStrategy = helmv2.PostRenderStrategyNoHooks
	hr.Spec.PostRenderers = []helmv2.PostRenderer{
		// The first renderer annotates the Deployment, which the second one selects.
		{Kustomize: &helmv2.Kustomize{Patches: []fluxmeta.Patch{{
			Target: &fluxmeta.Selector{Kind: "Deployment"},
			Patch:  `[{"op":"add","path":"/metadata/annotations","value":{"tier":"web"}}]`,
		}}}},
		{Kustomize: &helmv2.Kustomize{
			Patches: []fluxmeta.Patch{{
				Target: &fluxmeta.Selector{Group: "apps", Version: "v1", Kind: "Deployment", Name: "targets", Namespace: ns,
					LabelSelector: "app=targets", AnnotationSelector: "tier=web"},
				Patch: `[{"op":"replace","path":"/spec/replicas","value":2}]`,
			}, {
				Target: &fluxmeta.Selector{Kind: "Deployment", AnnotationSelector: "tier=db"},
				Patch:  `[{"op":"replace","path":"/spec/replicas","value":5}]`,
			}},
			Images: []fluxmeta.Image{{Name: "nginx", NewName: "registry.local/nginx", Digest: digest}},
		}},
	}
	hr.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "web"}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "targets"), &dep)).To(Succeed())
	g.Expect(dep.Annotations).To(HaveKeyWithValue("tier", "web"))
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(2)), "only the patch whose target selects the Deployment applies")
	g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal("registry.local/nginx@" + digest))
	g.Expect(dep.Labels).To(HaveKeyWithValue("team", "web"))

	// nohooks: the hooks are not post-rendered.
	var hook corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "targets-post-install"), &hook)).To(Succeed())
	g.Expect(hook.Labels).NotTo(HaveKey("team"))
}

func TestPostRenderStrategyCombined(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	// Neither the strategy nor install.serverSideApply is set: Helm 4's defaults, as in
	// Flux 2.9 (combined, server-side).
	hr := newRelease(ns, "hooked", "app", `{"hooks":true}`)
	hr.Spec.CommonMetadata = &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "web"}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// combined: the hooks are post-rendered with the templates.
	var hook corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "hooked-post-install"), &hook)).To(Succeed())
	g.Expect(hook.Labels).To(HaveKeyWithValue("team", "web"))
	g.Expect(hook.Labels).To(HaveKeyWithValue("helm.toolkit.fluxcd.io/name", "hooked"))
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "hooked"), &dep)).To(Succeed())
	g.Expect(dep.Labels).To(HaveKeyWithValue("team", "web"))
	g.Expect(dep.ManagedFields).To(ContainElement(And(
		HaveField("Manager", "helm-controller"), HaveField("Operation", metav1.ManagedFieldsOperationApply))))

	// Going back to nohooks upgrades the release: its post-upgrade hook is not post-rendered.
	hr = statuscheck.Update(t, k8s, hr, func(hr *helmv2.HelmRelease) { hr.Spec.PostRenderStrategy = helmv2.PostRenderStrategyNoHooks })
	hr = statuscheck.Ready(t, k8s, hr)
	g.Expect(hr.Status.History.Latest().Version).To(Equal(2))
	g.Expect(k8s.Get(ctx, key(ns, "hooked-post-upgrade"), &hook)).To(Succeed())
	g.Expect(hook.Labels).NotTo(HaveKey("team"))
}

func TestValuesFromLiteral(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	g.Expect(k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "text", Namespace: ns},
		Data: map[string]string{"v": "a,b=c"}})).To(Succeed())

	// Literal: the value is set as it is, not parsed as '--set a,b=c' would be.
	hr := newRelease(ns, "literal", "small", "")
	hr.Spec.ValuesFrom = []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "text", ValuesKey: "v", TargetPath: "message", Literal: true}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)
	var cm corev1.ConfigMap
	g.Expect(k8s.Get(ctx, key(ns, "literal"), &cm)).To(Succeed())
	g.Expect(cm.Data["message"]).To(Equal("a,b=c"))
}

func TestDependsOnOtherNamespace(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns, other := testenv.NewNamespace(t, k8s), testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	helmChart(t, other, "small", "small", "0.1.0")

	app := newRelease(ns, "app", "small", "")
	app.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "base", Namespace: other}}
	g.Expect(k8s.Create(ctx, app)).To(Succeed())
	got := statuscheck.NotReady(t, k8s, app, helmv2.DependencyNotReadyReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("dependency '" + other + "/base' not found"))

	g.Expect(k8s.Create(ctx, newRelease(other, "base", "small", ""))).To(Succeed())
	statuscheck.Ready(t, k8s, app)
}

func TestDriftIgnoreRules(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")

	// A short interval: drift is looked for on every reconcile, without any request.
	hr := newRelease(ns, "ignored", "app", "")
	hr.Spec.Interval = metav1.Duration{Duration: 2 * time.Second}
	hr.Spec.DriftDetection = &helmv2.DriftDetection{Mode: helmv2.DriftDetectionEnabled, Ignore: []fluxmeta.IgnoreRule{{
		Paths: []string{"/spec/replicas"},
		Target: &fluxmeta.Selector{Group: "app.", Version: "v1", Kind: "Deploy.*", Name: "ignored", Namespace: ns,
			LabelSelector: "app=ignored", AnnotationSelector: "meta.helm.sh/release-name=ignored"},
	}, {
		Paths:  []string{"/spec/template/spec/containers/0/image"},
		Target: &fluxmeta.Selector{Kind: "StatefulSet"},
	}}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// The ignored replicas stay as scaled by hand; the image, ignored only for StatefulSets,
	// is corrected.
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "ignored"), &dep)).To(Succeed())
	three := int32(3)
	dep.Spec.Replicas = &three
	dep.Spec.Template.Spec.Containers[0].Image = "nginx:drifted"
	g.Expect(k8s.Update(ctx, &dep)).To(Succeed())
	g.Eventually(func() string {
		g.Expect(k8s.Get(ctx, key(ns, "ignored"), &dep)).To(Succeed())
		return dep.Spec.Template.Spec.Containers[0].Image
	}, testenv.RolloutTimeout, testenv.Interval).Should(Equal("nginx:1.27"))
	g.Expect(*dep.Spec.Replicas).To(Equal(int32(3)))
	got := statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		// The status patch of the correction may trail the corrected object by a moment.
		drifted := conditions.Get(cur, helmv2.DriftedCondition)
		g.Expect(drifted).NotTo(BeNil(), "Drifted condition")
		g.Expect(drifted.Message).To(HavePrefix("Cluster state corrected: "))
	})
	g.Expect(conditions.Get(got, helmv2.DriftedCondition).Message).NotTo(ContainSubstring("/spec/replicas"))
	g.Expect(got.Status.History.Latest().Version).To(Equal(1))
}

func TestHealthCheckExprs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "crds", "crds", "0.1.0")
	hr := newRelease(ns, "checked", "crds", "")
	hr.Spec.Timeout = &metav1.Duration{Duration: 2 * time.Second}
	hr.Spec.WaitStrategy = &helmv2.WaitStrategy{Name: helmv2.WaitStrategyPoller}
	gadget := func(c fluxmeta.CustomHealthCheck) []fluxmeta.CustomHealthCheck {
		c.APIVersion, c.Kind = "helmrelease.ferry.test/v1", "Gadget"
		return []fluxmeta.CustomHealthCheck{c}
	}
	tests := []struct {
		name  string
		check fluxmeta.CustomHealthCheck
		want  string
	}{
		{"current never true", fluxmeta.CustomHealthCheck{Current: "spec.size == 4"}, "no health check is true yet"},
		{"in progress first", fluxmeta.CustomHealthCheck{InProgress: "spec.size == 3", Current: "true"},
			`Gadget is InProgress: health check "spec.size == 3" is true`},
		{"failed", fluxmeta.CustomHealthCheck{Failed: "spec.size == 3", Current: "true"},
			`Gadget/` + ns + `/checked failed: Gadget is Failed: health check "spec.size == 3" is true`},
	}
	for i, tt := range tests {
		// Each new spec is a new attempt: an install first, then upgrades of the failed release.
		if i == 0 {
			hr.Spec.HealthCheckExprs = gadget(tt.check)
			g.Expect(k8s.Create(ctx, hr)).To(Succeed())
		} else {
			statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.HealthCheckExprs = gadget(tt.check) })
		}
		got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
		g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(tt.want), tt.name)
	}

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.HealthCheckExprs = gadget(fluxmeta.CustomHealthCheck{Current: "spec.size == 3"})
	})
	statuscheck.Ready(t, k8s, hr)

	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.HealthCheckExprs = gadget(fluxmeta.CustomHealthCheck{Current: "spec.size =="})
	})
	got := statuscheck.Stalled(t, k8s, hr, helmv2.InitFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix("invalid spec.healthCheckExprs: "))
}

func TestCRDPolicies(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "widgets", "widgets", "0.1.0")
	crd := &apiextensionsv1.CustomResourceDefinition{}
	crdKey := key("", "widgets.helmrelease.ferry.test")
	t.Cleanup(func() {
		_ = k8s.Delete(context.Background(), &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: crdKey.Name}})
	})

	// Skip, as crds or as the deprecated skipCRDs: the Widget kind does not exist.
	hr := newRelease(ns, "widgets", "widgets", "")
	hr.Spec.Install = &helmv2.Install{CRDs: helmv2.Skip}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	got := statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`no matches for kind "Widget"`))
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Install = &helmv2.Install{SkipCRDs: true} })
	got = statuscheck.Stalled(t, k8s, hr, helmv2.RetriesExceededReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`no matches for kind "Widget"`))
	g.Expect(apierrors.IsNotFound(k8s.Get(ctx, crdKey, crd))).To(BeTrue())

	// Create installs it, then the release.
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Install = &helmv2.Install{CRDs: helmv2.Create} })
	statuscheck.Ready(t, k8s, hr)
	g.Expect(k8s.Get(ctx, crdKey, crd)).To(Succeed())

	// On upgrade, Skip (the default) and Create leave an existing CRD alone; CreateReplace
	// replaces it with the chart's.
	mark := func() {
		g.Expect(k8s.Get(ctx, crdKey, crd)).To(Succeed())
		crd.Labels = map[string]string{"edited": "by-hand"}
		g.Expect(k8s.Update(ctx, crd)).To(Succeed())
	}
	upgradeTo := func(size int, policy helmv2.CRDsPolicy) map[string]string {
		statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
			o.Spec.Values = jsonValues(fmt.Sprintf(`{"size":%d}`, size))
			o.Spec.Upgrade = &helmv2.Upgrade{CRDs: policy}
		})
		waitVersion(t, hr, size)
		statuscheck.Ready(t, k8s, hr)
		g.Expect(k8s.Get(ctx, crdKey, crd)).To(Succeed())
		return crd.Labels
	}
	mark()
	g.Expect(upgradeTo(2, "")).To(HaveKey("edited"))
	g.Expect(upgradeTo(3, helmv2.Create)).To(HaveKey("edited"))
	g.Expect(upgradeTo(4, helmv2.CreateReplace)).NotTo(HaveKey("edited"))
	deleteAndWait(t, hr) // while the CRD is there to uninstall the Widget
}
