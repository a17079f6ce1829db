package imagerepository

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestRestartKeepsTags reconciles with a fresh Reconciler and a tag store opened again on the
// same directory, as after a restart: the tags are found in the store, the registry is not
// called, and the next scan is due when the interval ends.
func TestRestartKeepsTags(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0", "1.1.0")
	obj := newRepo(t, namespace(t), "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true})
	before := statuscheck.Ready(t, suite.Env.Client, obj)

	store, err := tagstore.Open(suite.Store.Root())
	g.Expect(err).NotTo(HaveOccurred())
	rec, err := events.NewRecorder(suite.Env.Config, suite.Env.Scheme, "image-reflector-controller", "")
	g.Expect(err).NotTo(HaveOccurred())
	rt := &reconcile.Runtime{Client: suite.Env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	restarted := &Reconciler{rt: rt, deps: &imagecontroller.Deps{Store: store, Options: &manager.Options{}, Reader: suite.Env.Client}}

	r.ResetCounts()
	res, err := restarted.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.Counts()).To(Equal(registry.Counts{}), "no registry call before the interval ends")
	g.Expect(res.RequeueAfter).To(BeNumerically(">", 0))
	g.Expect(res.RequeueAfter).To(BeNumerically("<=", time.Hour))
	after := statuscheck.Ready(t, suite.Env.Client, obj)
	g.Expect(after.Status).To(Equal(before.Status))
	g.Expect(store.Tags(obj.Namespace, obj.Name, after.Status.LastScanResult.Revision)).To(Equal([]string{"1.0.0", "1.1.0"}))
}

// TestDeleteRemovesTags: deleting an ImageRepository removes its tags from the store.
func TestDeleteRemovesTags(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0")
	obj := newRepo(t, namespace(t), "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true})
	got := statuscheck.Ready(t, suite.Env.Client, obj)
	rev := got.Status.LastScanResult.Revision
	g.Expect(suite.Store.Has(obj.Namespace, obj.Name, rev)).To(BeTrue())
	g.Expect(suite.Env.Client.Delete(t.Context(), got)).To(Succeed())
	g.Eventually(func() bool { return suite.Store.Has(obj.Namespace, obj.Name, rev) }, statuscheck.Timeout).Should(BeFalse())
}
