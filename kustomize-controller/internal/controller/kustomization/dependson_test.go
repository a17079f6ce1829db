package kustomization

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// versionMatches is a readyExpr in the shape of Flux's lockstep example: the dependency
// carries the dependent's version label.
const versionMatches = "has(dep.metadata.labels) && 'version' in dep.metadata.labels && " +
	"dep.metadata.labels['version'] == self.metadata.labels['version']"

// TestDependsOnReadyExpr: a readyExpr decides in place of the Ready condition. A Ready
// dependency whose expression is false holds its dependent back; a change of the dependency
// that makes it true (a label, the Ready condition untouched) wakes the dependent at once
// (its interval is an hour); and an expression that is true applies while the dependency is
// not Ready.
func TestDependsOnReadyExpr(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"db/cm.yaml": configMap("db", "1"), "app/cm.yaml": configMap("app", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	db := kustomization(t, ns, "db", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{"version": "1"}
		k.Spec.Path = "./db"
		k.Spec.TargetNamespace = ns
	})
	readyAt(t, db, a.Revision)
	app := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{"version": "2"}
		k.Spec.Path = "./app"
		k.Spec.TargetNamespace = ns
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "db", ReadyExpr: versionMatches}}
	})
	statuscheck.NotReady(t, env.Client, app, fluxmeta.DependencyNotReadyReason,
		"dependency '"+ns+"/db' is not ready according to its readyExpr")
	g.Expect(object(t, "v1", "ConfigMap", ns, "app")).To(BeNil())

	// Only db's label changes: its Ready condition stays True throughout.
	statuscheck.Update(t, env.Client, db, func(k *kustomizev1.Kustomization) { k.Labels["version"] = "2" })
	readyAt(t, app, a.Revision)

	// An expression that does not look at readiness lets the dependent through while its
	// dependency waits for a source that does not exist.
	missing := kustomization(t, ns, "missing", "nowhere", nil)
	statuscheck.NotReady(t, env.Client, missing, fluxmeta.ArtifactFailedReason, "")
	early := kustomization(t, ns, "early", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.Path = "./app"
		k.Spec.TargetNamespace = ns
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "missing", ReadyExpr: "dep.metadata.name == 'missing'"}}
	})
	readyAt(t, early, a.Revision)
}

// TestDependsOnInvalidReadyExpr: an expression that does not compile, or that returns
// something other than a bool, stalls the dependent with InvalidCELExpression; a fixed
// expression lets it go on.
func TestDependsOnInvalidReadyExpr(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	db := kustomization(t, ns, "db", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.Path = "./nothing"
		k.Spec.TargetNamespace = ns
	})
	tests := []struct {
		name, expr, msg string
	}{
		{"syntax", "dep.metadata.name ==", "invalid readyExpr of dependency '" + ns + "/db': ERROR"},
		{"string", "dep.metadata.name", "invalid readyExpr of dependency '" + ns + "/db': the expression does not return a bool: it returned string"},
		{"int", "1 + 2", "invalid readyExpr of dependency '" + ns + "/db': the expression returns int, not bool"},
	}
	for _, tt := range tests {
		k := kustomization(t, ns, tt.name, repo.Name, func(k *kustomizev1.Kustomization) {
			k.Spec.TargetNamespace = ns
			k.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: db.Name, ReadyExpr: tt.expr}}
		})
		got := statuscheck.Stalled(t, env.Client, k, fluxmeta.InvalidCELExpressionReason, tt.msg)
		g.Expect(object(t, "v1", "ConfigMap", ns, "cm")).To(BeNil(), "%s: %s", tt.name, readyMessage(got))
	}
	fixed := statuscheck.Update(t, env.Client, &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "string"}},
		func(k *kustomizev1.Kustomization) { k.Spec.DependsOn[0].ReadyExpr = "dep.metadata.name == 'db'" })
	readyAt(t, fixed, a.Revision)
}

// TestDependsOnHelmRelease: a Kustomization waits for a HelmRelease named by kind (a Ferry
// extension), woken when the HelmRelease becomes Ready; no helm-controller runs here, so the
// test writes the HelmRelease's status as one would. A reference whose apiVersion is not of
// its kind's group stalls.
func TestDependsOnHelmRelease(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "chart"},
		},
	}
	g.Expect(env.Client.Create(ctxT(t), hr)).To(Succeed())
	app := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{Kind: helmv2.HelmReleaseKind, Name: "db"}}
	})
	statuscheck.NotReady(t, env.Client, app, fluxmeta.DependencyNotReadyReason, "dependency 'HelmRelease/"+ns+"/db' is not ready")
	g.Expect(object(t, "v1", "ConfigMap", ns, "cm")).To(BeNil())

	// The HelmRelease becomes Ready: the Kustomization follows (its interval is an hour).
	g.Eventually(func() error {
		if err := env.Client.Get(ctxT(t), client.ObjectKeyFromObject(hr), hr); err != nil {
			return err
		}
		hr.Status.ObservedGeneration = hr.Generation
		conditions.MarkTrue(hr, fluxmeta.ReadyCondition, helmv2.InstallSucceededReason, "installed")
		return env.Client.Status().Update(ctxT(t), hr)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	readyAt(t, app, a.Revision)

	wrong := kustomization(t, ns, "wrong", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: helmv2.HelmReleaseKind, Name: "db"}}
	})
	statuscheck.Stalled(t, env.Client, wrong, fluxmeta.UnsupportedSpecReason, `dependency 'db' has apiVersion "kustomize.toolkit.fluxcd.io/v1", not one of helm.toolkit.fluxcd.io`)
}

// TestDependsOnAdditiveGate: with AdditiveCELDependencyCheck a true readyExpr is not enough,
// the dependency must be Ready as well; without it the expression decides alone.
func TestDependsOnAdditiveGate(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	// No controller serves this shard: the dependency stays without status, not Ready.
	kustomization(t, ns, "db", "repo", func(k *kustomizev1.Kustomization) { k.Labels = map[string]string{shardLabel: "none"} })
	app := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}}
	app.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "db", ReadyExpr: "dep.metadata.name == 'db'"}}
	g.Expect(dependency.Check(ctxT(t), env.Client, app, dependency.Appliers(dependency.Kustomizations, false)).IsDone()).To(BeTrue())
	res := dependency.Check(ctxT(t), env.Client, app, dependency.Appliers(dependency.Kustomizations, true))
	g.Expect(res.IsWaiting()).To(BeTrue())
	g.Expect(res.Err).To(MatchError("dependency '" + ns + "/db' is not ready"))
}
