package helmchart_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRestart restarts the controller on the same storage with a new advertised address: the
// stored chart is served at the new address (status.artifact.url and status.url) as the same
// artifact without a new download, and built and stored again, at the new address, once its
// file vanished.
func TestRestart(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, demo("1.0.0"))
	chart := newChart(ns, "demo", sourcev1.HelmRepositoryKind, "repo", "demo")
	create(g, newRepository(ns, "repo", srv.URL()), chart)
	before := sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)

	addr := suite.Restart(t)
	after := statuscheck.RequestReconcile(t, env.Client, chart)
	sourcetest.CheckRestamped(t, before.Status.Artifact, after.Status.Artifact, addr)
	g.Expect(after.Status.URL).To(Equal(after.Status.Artifact.URL))
	g.Expect(srv.Served("/demo-1.0.0.tgz")).To(Equal(int64(1)))
	g.Expect(loadArtifact(g, after.Status.Artifact).Metadata.Version).To(Equal("1.0.0"))

	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(after.Status.Artifact.Path)))).To(Succeed())
	again := statuscheck.RequestReconcile(t, env.Client, chart)
	sourcetest.CheckStoredAgain(t, before.Status.Artifact, again.Status.Artifact, addr)
	g.Expect(again.Status.URL).To(Equal(again.Status.Artifact.URL))
	g.Expect(conditions.Get(again, fluxmeta.ReadyCondition).Reason).To(Equal(sourcev1.ChartPullSucceededReason))
	g.Expect(conditions.IsTrue(again, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(st.Exists(*again.Status.Artifact)).To(BeTrue())
	g.Expect(loadArtifact(g, again.Status.Artifact).Metadata.Version).To(Equal("1.0.0"))
}
