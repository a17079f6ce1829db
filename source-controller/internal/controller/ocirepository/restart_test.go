package ocirepository

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRestartDoesNotRefetch restarts the controller on the same storage with a new
// advertised address: the stored artifact is found again and served at the new address
// (status.artifact.url and status.url) without a pull, and pulled again once its file
// vanished.
func TestRestartDoesNotRefetch(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	obj := newRepo(t, testenv.NewNamespace(t, env.Client), "restarted", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app")})
	before := statuscheck.Ready(t, env.Client, obj)

	r.ResetCounts()
	addr := suite.Restart(t)
	after := statuscheck.RequestReconcile(t, env.Client, obj)
	// The restarted controller reconciles every object once by itself, then as asked: each
	// reconcile costs one manifest HEAD, and nothing is pulled.
	counts := r.Counts()
	g.Expect(counts.ManifestHeads).To(BeNumerically(">=", 1))
	g.Expect(counts.ManifestGets + counts.BlobGets).To(BeZero())
	sourcetest.CheckRestamped(t, before.Status.Artifact, after.Status.Artifact, addr)
	g.Expect(after.Status.URL).To(Equal(after.Status.Artifact.URL))
	g.Expect(conditions.IsReady(after)).To(BeTrue())
	g.Expect(fetch(t, after.Status.Artifact)).To(BeADirectory())

	g.Expect(os.Remove(filepath.Join(store.Path(), filepath.FromSlash(after.Status.Artifact.Path)))).To(Succeed())
	r.ResetCounts()
	again := statuscheck.RequestReconcile(t, env.Client, obj)
	g.Expect(r.Counts().BlobGets).To(BeNumerically(">", 0), "a vanished artifact is pulled again")
	sourcetest.CheckStoredAgain(t, before.Status.Artifact, again.Status.Artifact, addr)
	g.Expect(again.Status.URL).To(Equal(again.Status.Artifact.URL))
	g.Expect(conditions.IsTrue(again, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(fetch(t, again.Status.Artifact)).To(BeADirectory())
}
