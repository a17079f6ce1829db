package artifactgenerator_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRestart restarts source-controller on the same storage with a new advertised address:
// the published artifacts are served at the new address (the ExternalArtifacts' URLs follow)
// as the same artifacts, without fetching a source or composing again; once a file vanished
// from the storage it is composed and stored again, at the new address.
func TestRestart(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	// The source is served by a server of its own, whose downloads are this test's only.
	server, err := artifactserver.New()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(server.Close)
	repo := newGitRepositoryOn(t, server, ns, "flux-system", monorepo("replicas: 1\n"), "main@sha1:cccc")
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, ns, "flux-system", exampleSpec(repo.Name)))
	before := externalArtifact(t, ns, "apps").Status.Artifact

	downloads := server.Downloads()
	addr := suite.Restart(t)
	statuscheck.RequestReconcile(t, env.Client, gen)
	after := externalArtifact(t, ns, "apps")
	sourcetest.CheckRestamped(t, before, after.Status.Artifact, addr)
	sourcetest.CheckRestamped(t, before, statuscheck.Ready(t, env.Client, after).Status.Artifact, addr)
	g.Expect(server.Downloads()).To(Equal(downloads), "no source is fetched again")
	g.Expect(servedFiles(t, after.Status.Artifact)).To(HaveKey("staging/podinfo-values.yaml"))

	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(after.Status.Artifact.Path)))).To(Succeed())
	statuscheck.RequestReconcile(t, env.Client, gen)
	again := externalArtifact(t, ns, "apps")
	sourcetest.CheckStoredAgain(t, before, again.Status.Artifact, addr)
	g.Expect(server.Downloads()).To(BeNumerically(">", downloads), "the vanished artifact is composed again")
	g.Expect(st.Exists(*again.Status.Artifact)).To(BeTrue())
}
