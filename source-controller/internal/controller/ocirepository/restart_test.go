package ocirepository

import (
	"testing"

	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// TestRestartDoesNotRefetch reconciles with a fresh Reconciler and Storage opened on the
// same directory, as after a restart: the stored artifact is found again and nothing is
// pulled.
func TestRestartDoesNotRefetch(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	obj := newRepo(t, testenv.NewNamespace(t, env.Client), "restarted", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app")})
	before := waitReady(t, obj)

	st, err := storage.New(storage.Config{Path: store.Path(), AdvertisedAddr: "127.0.0.1:1"})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = st.Close() })
	rec, err := events.NewRecorder(env.Config, env.Scheme, "source-controller", "")
	g.Expect(err).NotTo(HaveOccurred())
	rt := &reconcile.Runtime{Client: env.Client, Events: rec, Metrics: metrics.NewRecorder()}
	restarted := &Reconciler{rt: rt, storage: st, secrets: env.Client, userAgent: "test"}

	r.ResetCounts()
	_, err = restarted.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.Counts()).To(Equal(registry.Counts{ManifestHeads: 1}))
	after := get(t, obj)
	checkStatus(t, after)
	g.Expect(after.Status.Artifact).To(Equal(before.Status.Artifact))
}
