package artifactgenerator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/artifactgenerator"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env   *testenv.Env
	st    *storage.Storage
	suite *sourcetest.Suite
	// upstream serves the artifacts of the sources, as the source kinds' reconcilers would
	// (they do not run here), and counts the downloads.
	upstream *artifactserver.Server
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if upstream, err = artifactserver.New(); err != nil {
		fmt.Fprintf(os.Stderr, "failed to start the artifact server: %v\n", err)
		return 1
	}
	defer upstream.Close()
	return sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourceextv1beta1.ArtifactGenerator{}},
		Register: artifactgenerator.Setup,
		Started:  func(s *sourcetest.Suite) { env, st, suite = s.Env, s.Storage, s },
	})
}

// monorepo is a repository in the layout of Flux's flux2-kustomize-helm-example.
func monorepo(podinfoValues string) map[string]string {
	return map[string]string{
		"apps/base/podinfo/kustomization.yaml":          "resources: [namespace.yaml, release.yaml]\n",
		"apps/base/podinfo/namespace.yaml":              "kind: Namespace\n",
		"apps/base/podinfo/release.yaml":                "kind: HelmRelease\n",
		"apps/staging/kustomization.yaml":               "resources: [../base/podinfo]\n",
		"apps/staging/podinfo-values.yaml":              podinfoValues,
		"infrastructure/controllers/kustomization.yaml": "resources: [cert-manager.yaml]\n",
		"infrastructure/controllers/cert-manager.yaml":  "kind: HelmRelease\n",
		"infrastructure/configs/cluster-issuers.yaml":   "kind: ClusterIssuer\n",
		"clusters/staging/apps.yaml":                    "kind: Kustomization\n",
	}
}

// newGitRepository creates a GitRepository whose status holds an artifact of files at
// revision, served by upstream, and returns it.
func newGitRepository(t *testing.T, ns, name string, files map[string]string, revision string) *sourcev1.GitRepository {
	t.Helper()
	return newGitRepositoryOn(t, upstream, ns, name, files, revision)
}

// newGitRepositoryOn is newGitRepository with the artifact served by server.
func newGitRepositoryOn(t *testing.T, server *artifactserver.Server, ns, name string, files map[string]string, revision string) *sourcev1.GitRepository {
	t.Helper()
	repo := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.GitRepositorySpec{URL: "https://127.0.0.1:1/" + name + ".git", Interval: metav1.Duration{Duration: time.Hour}}}
	NewWithT(t).Expect(env.Client.Create(context.Background(), repo)).To(Succeed())
	setArtifactOn(t, server, repo, files, revision)
	return repo
}

// setArtifact publishes files at revision and puts the artifact in src's status, as the
// source's reconciler does for a new revision.
func setArtifact(t *testing.T, src sourcev1.Source, files map[string]string, revision string) {
	t.Helper()
	setArtifactOn(t, upstream, src, files, revision)
}

// setArtifactOn is setArtifact with the artifact served by server.
func setArtifactOn(t *testing.T, server *artifactserver.Server, src sourcev1.Source, files map[string]string, revision string) {
	t.Helper()
	obj := src.(client.Object)
	a, err := server.ArtifactFromFiles(fmt.Sprintf("%s/%s/%s-%d", obj.GetNamespace(), obj.GetName(), obj.GetName(), time.Now().UnixNano()), files, revision)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	setStatus(t, obj, &a)
}

// setStatus writes artifact into the status of the source obj, Ready.
func setStatus(t *testing.T, obj client.Object, a *fluxmeta.Artifact) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		src := obj.(interface {
			sourcev1.Source
			client.Object
		})
		switch o := src.(type) {
		case *sourcev1.GitRepository:
			o.Status.Artifact = a
		case *sourcev1.HelmChart:
			o.Status.Artifact = a
		case *sourcev1.ExternalArtifact:
			o.Status.Artifact = a
		}
		st := src.GetObjectStatus()
		st.ObservedGeneration = obj.GetGeneration()
		st.Conditions = []metav1.Condition{{Type: fluxmeta.ReadyCondition, Status: metav1.ConditionTrue, Reason: fluxmeta.SucceededReason,
			Message: "stored artifact", ObservedGeneration: obj.GetGeneration(), LastTransitionTime: metav1.Now()}}
		return env.Client.Status().Update(context.Background(), obj)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}

// newGenerator creates an ArtifactGenerator with spec in ns and returns it.
func newGenerator(t *testing.T, ns, name string, spec sourceextv1beta1.ArtifactGeneratorSpec) *sourceextv1beta1.ArtifactGenerator {
	t.Helper()
	obj := &sourceextv1beta1.ArtifactGenerator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	NewWithT(t).Expect(env.Client.Create(context.Background(), obj)).To(Succeed())
	return obj
}

// externalArtifact reads the ExternalArtifact ns/name.
func externalArtifact(t *testing.T, ns, name string) *sourcev1.ExternalArtifact {
	t.Helper()
	ea := &sourcev1.ExternalArtifact{}
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ea)).To(Succeed())
	return ea
}

// servedFiles downloads the artifact from its URL (source-controller's storage server),
// verifies it and returns its files.
func servedFiles(t *testing.T, a *fluxmeta.Artifact) map[string]string {
	t.Helper()
	g := NewWithT(t)
	g.Expect(a).NotTo(BeNil())
	dir := t.TempDir()
	g.Expect(artifact.Fetch(context.Background(), nil, a.URL, a.Digest, a.Size, dir, artifact.Limits{})).To(Succeed())
	files := map[string]string{}
	g.Expect(filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})).To(Succeed())
	return files
}

// copyOp is a copy operation with the default strategy.
func copyOp(from, to string) sourceextv1beta1.CopyOperation {
	return sourceextv1beta1.CopyOperation{From: from, To: to}
}

// exampleSpec is the ArtifactGenerator of Flux's flux2-kustomize-helm-example (its
// clusters/staging/artifacts.yaml), reading the GitRepository repo.
func exampleSpec(repo string) sourceextv1beta1.ArtifactGeneratorSpec {
	return sourceextv1beta1.ArtifactGeneratorSpec{
		Sources: []sourceextv1beta1.SourceReference{{Alias: "monorepo", Kind: sourcev1.GitRepositoryKind, Name: repo}},
		OutputArtifacts: []sourceextv1beta1.OutputArtifact{
			{Name: "infrastructure", OriginRevision: "@monorepo", Copy: []sourceextv1beta1.CopyOperation{
				copyOp("@monorepo/infrastructure/**", "@artifact/")}},
			{Name: "apps", OriginRevision: "@monorepo", Copy: []sourceextv1beta1.CopyOperation{
				copyOp("@monorepo/apps/base/**", "@artifact/base/"), copyOp("@monorepo/apps/staging/**", "@artifact/staging/")}},
		},
	}
}
