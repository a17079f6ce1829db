package helmrelease

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// installed reports whether the release of name (chart "small") has its ConfigMap.
func installed(g Gomega, ns, name string) bool {
	err := k8s.Get(context.Background(), key(ns, name), &corev1.ConfigMap{})
	g.Expect(client.IgnoreNotFound(err)).To(Succeed())
	return !apierrors.IsNotFound(err)
}

// TestDependsOnReadyExpr: a readyExpr decides in place of the Ready condition. A Ready
// dependency for which it is false holds the release back; a change of the dependency that
// makes it true (a label: its Ready condition does not move) installs the release at once
// (its interval is an hour). An expression that returns no bool stalls the release.
func TestDependsOnReadyExpr(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	base := newRelease(ns, "base", "small", "")
	base.Labels = map[string]string{"version": "1"}
	g.Expect(k8s.Create(ctx, base)).To(Succeed())
	statuscheck.Ready(t, k8s, base)

	app := newRelease(ns, "app", "small", "")
	app.Labels = map[string]string{"version": "2"}
	app.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "base",
		ReadyExpr: "dep.metadata.labels['version'] == self.metadata.labels['version'] && dep.status.history[0].status == 'deployed'"}}
	g.Expect(k8s.Create(ctx, app)).To(Succeed())
	statuscheck.NotReady(t, k8s, app, helmv2.DependencyNotReadyReason, "dependency '"+ns+"/base' is not ready according to its readyExpr")
	g.Expect(installed(g, ns, "app")).To(BeFalse())

	statuscheck.Update(t, k8s, base, func(hr *helmv2.HelmRelease) { hr.Labels["version"] = "2" })
	statuscheck.Ready(t, k8s, app)
	g.Expect(installed(g, ns, "app")).To(BeTrue())

	bad := newRelease(ns, "bad", "small", "")
	bad.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "base", ReadyExpr: "dep.status.history"}}
	g.Expect(k8s.Create(ctx, bad)).To(Succeed())
	statuscheck.Stalled(t, k8s, bad, fluxmeta.InvalidCELExpressionReason, "invalid readyExpr of dependency '"+ns+"/base': the expression does not return a bool")
	g.Expect(installed(g, ns, "bad")).To(BeFalse())
}

// TestDependsOnKustomization: a HelmRelease waits for a Kustomization named by kind (a Ferry
// extension) and is woken when it becomes Ready; no kustomize-controller runs here, so the
// test writes the Kustomization's status as one would.
func TestDependsOnKustomization(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "small", "small", "0.1.0")
	infra := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "infra"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"},
		},
	}
	g.Expect(k8s.Create(ctx, infra)).To(Succeed())

	app := newRelease(ns, "app", "small", "")
	app.Spec.DependsOn = []fluxmeta.DependencyReference{{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "infra"}}
	g.Expect(k8s.Create(ctx, app)).To(Succeed())
	statuscheck.NotReady(t, k8s, app, helmv2.DependencyNotReadyReason, "dependency 'Kustomization/"+ns+"/infra' is not ready")
	g.Expect(installed(g, ns, "app")).To(BeFalse())

	g.Eventually(func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(infra), infra); err != nil {
			return err
		}
		infra.Status.ObservedGeneration = infra.Generation
		conditions.MarkTrue(infra, fluxmeta.ReadyCondition, fluxmeta.ReconciliationSucceededReason, "Applied revision: main@sha1:1")
		return k8s.Status().Update(ctx, infra)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	statuscheck.Ready(t, k8s, app)
	g.Expect(installed(g, ns, "app")).To(BeTrue())
}
