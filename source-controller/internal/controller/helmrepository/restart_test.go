package helmrepository_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRestart restarts the controller on the same storage with a new advertised address: the
// stored index is served at the new address (status.artifact.url and status.url) as the same
// artifact, and stored again, at the new address, once its file vanished.
func TestRestart(t *testing.T) {
	g := NewWithT(t)
	_, _, obj, before := readyRepository(t, g)

	addr := suite.Restart(t)
	after := statuscheck.RequestReconcile(t, env.Client, obj)
	sourcetest.CheckRestamped(t, before.Status.Artifact, after.Status.Artifact, addr)
	g.Expect(after.Status.URL).To(Equal(after.Status.Artifact.URL))
	g.Expect(httpGet(g, after.Status.Artifact.URL)).NotTo(BeEmpty())

	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(after.Status.Artifact.Path)))).To(Succeed())
	again := statuscheck.RequestReconcile(t, env.Client, obj)
	sourcetest.CheckStoredAgain(t, before.Status.Artifact, again.Status.Artifact, addr)
	g.Expect(again.Status.URL).To(Equal(again.Status.Artifact.URL))
	g.Expect(conditions.IsTrue(again, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(conditions.IsReady(again)).To(BeTrue())
	g.Expect(st.Exists(*again.Status.Artifact)).To(BeTrue())
	g.Expect(httpGet(g, again.Status.Artifact.URL)).NotTo(BeEmpty())
}
