package imagepolicy

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestCrossNamespace: a policy may use a repository of another namespace only when the
// repository's spec.accessFrom selects the policy's namespace by its labels.
func TestCrossNamespace(t *testing.T) {
	g := NewWithT(t)
	repoNS, policyNS := namespace(t), namespace(t)
	repo := newRepo(t, repoNS, "shared", "127.0.0.1:1/shared")
	scanned(t, repo, "1.0.0", "1.4.0")
	spec := semver("shared", "1.x")
	spec.ImageRepositoryRef.Namespace = repoNS
	obj := newPolicy(t, policyNS, "app", spec)
	statuscheck.NotReady(t, suite.Env.Client, obj, fluxmeta.AccessDeniedReason,
		"ImageRepository '"+repoNS+"/shared' does not grant access to namespace '"+policyNS+"'")

	statuscheck.Update(t, suite.Env.Client, repo, func(r *imagev1.ImageRepository) {
		r.Spec.AccessFrom = &imagev1.AccessFrom{NamespaceSelectors: []imagev1.NamespaceSelector{{MatchLabels: map[string]string{"team": "apps"}}}}
	})
	statuscheck.NotReady(t, suite.Env.Client, obj, fluxmeta.AccessDeniedReason, "its spec.accessFrom selects no such namespace")

	ns := &corev1.Namespace{}
	g.Expect(suite.Env.Client.Get(t.Context(), keyOf(&corev1.Namespace{ObjectMeta: nsMeta(policyNS)}), ns)).To(Succeed())
	ns.Labels["team"] = "apps"
	g.Expect(suite.Env.Client.Update(t.Context(), ns)).To(Succeed())
	got := waitTag(t, obj, "1.4.0")
	g.Expect(got.Status.LatestRef.Name).To(Equal("127.0.0.1:1/shared"))

	// An empty selector grants every namespace.
	other := newPolicy(t, namespace(t), "other", spec)
	statuscheck.NotReady(t, suite.Env.Client, other, fluxmeta.AccessDeniedReason, "does not grant access")
	statuscheck.Update(t, suite.Env.Client, repo, func(r *imagev1.ImageRepository) {
		r.Spec.AccessFrom = &imagev1.AccessFrom{NamespaceSelectors: []imagev1.NamespaceSelector{{}}}
	})
	waitTag(t, other, "1.4.0")
}

// TestNoCrossNamespaceRefs: with --no-cross-namespace-refs a policy naming a repository of
// another namespace stalls, whatever the repository's accessFrom says.
func TestNoCrossNamespaceRefs(t *testing.T) {
	g := NewWithT(t)
	repoNS, policyNS := namespace(t), namespace(t)
	repo := newRepo(t, repoNS, "shared", "127.0.0.1:1/shared")
	statuscheck.Update(t, suite.Env.Client, repo, func(r *imagev1.ImageRepository) {
		r.Spec.AccessFrom = &imagev1.AccessFrom{NamespaceSelectors: []imagev1.NamespaceSelector{{}}}
	})
	scanned(t, repo, "1.0.0")
	spec := semver("shared", "1.x")
	spec.ImageRepositoryRef.Namespace = repoNS
	obj := newPolicy(t, policyNS, "app", spec)
	waitTag(t, obj, "1.0.0")

	rec, err := events.NewRecorder(suite.Env.Config, suite.Env.Scheme, "image-reflector-controller", "")
	g.Expect(err).NotTo(HaveOccurred())
	rt := &reconcile.Runtime{Client: suite.Env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	strict := &Reconciler{rt: rt, deps: &imagecontroller.Deps{Store: suite.Store, Options: &manager.Options{NoCrossNamespaceRefs: true}, Reader: suite.Env.Client}}
	_, err = strict.Reconcile(t.Context(), ctrl.Request{NamespacedName: keyOf(obj)})
	g.Expect(err).NotTo(HaveOccurred())
	statuscheck.Stalled(t, suite.Env.Client, obj, fluxmeta.AccessDeniedReason,
		"cannot access ImageRepository '"+repoNS+"/shared': cross-namespace references have been disabled")
}

func nsMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
