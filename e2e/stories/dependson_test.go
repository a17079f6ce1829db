package stories

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
)

// acrossKindsObjects are the story's sources, its HelmRelease database (which depends on the
// Kustomization infra, a Ferry extension) and its Kustomization app (which depends on the
// HelmRelease database, released from chart 1.1.0: a readyExpr).
const acrossKindsObjects = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
spec:
  interval: 1h
  url: %[1]s
  ref:
    branch: main
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
spec:
  interval: 1h
  url: %[2]s
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: database
spec:
  interval: 1h
  dependsOn:
    - kind: Kustomization
      name: infra
  chart:
    spec:
      chart: hello
      version: ">=1.0.0"
      sourceRef:
        kind: HelmRepository
        name: charts
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 1h
  path: ./app
  prune: true
  wait: true
  sourceRef:
    kind: GitRepository
    name: platform
  dependsOn:
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      name: database
      readyExpr: >-
        dep.status.history[0].chartVersion == '1.1.0' &&
        dep.status.history[0].status == 'deployed' &&
        dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')
`

// TestStoryDependsOnAcrossKinds: a HelmRelease waits for a Kustomization, and a Kustomization
// waits for a HelmRelease until the HelmRelease's readyExpr holds (its chart is 1.1.0), each
// woken by the other's change without polling (every interval is an hour).
func TestStoryDependsOnAcrossKinds(t *testing.T) {
	dumpLogsOnFailure(t)
	const ns = "story-across-kinds"
	ensureNamespace(t, ns)
	charts, err := helmrepo.New(helmrepo.Options{})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(charts.Close)
	publishHello(t, charts, "1.0.0")
	repos, url := gitRepo(t, "platform", map[string]string{
		"infra/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: database-config\n  namespace: " + ns + "\ndata:\n  size: small\n",
		"app/greeter.yaml":  greeterManifest(ns, 1),
	})
	repos.Branch(t, "platform", "main", "master")

	step(t, "apply GitRepository platform, HelmRepository charts (hello 1.0.0), HelmRelease database (dependsOn Kustomization infra) and Kustomization app (dependsOn HelmRelease database with a readyExpr)")
	objs := applyYAML(t, ns, fmt.Sprintf(acrossKindsObjects, url, charts.URL()))
	source, helmRepo, database, app := objs[0], objs[1], objs[2], objs[3]
	deleteOnCleanup(t, app, database, helmRepo, source)
	waitNotReady(t, database, "DependencyNotReady", "dependency 'Kustomization/"+ns+"/infra' not found")
	waitNotReady(t, app, "DependencyNotReady", "dependency 'HelmRelease/"+ns+"/database' is not ready")
	step(t, "database waits for Kustomization infra, which does not exist; app waits for database")

	step(t, "apply Kustomization infra")
	infra := kustomization(ns, "infra", "platform", "./infra")
	apply(t, infra)
	deleteOnCleanup(t, infra)
	waitReady(t, infra)
	waitReady(t, database, releasedVersion("1.0.0", 1))
	waitDeployment(t, ns, "database", 1)
	msg := waitNotReady(t, app, "DependencyNotReady", "dependency 'HelmRelease/"+ns+"/database' is not ready according to its readyExpr")
	NewWithT(t).Expect(greeter(t, ns)).To(BeFalse())
	step(t, "infra is Ready, so database installed chart hello 1.0.0; app still waits: %s", msg)

	step(t, "publish hello 1.1.0 and ask for a reconcile of HelmRepository charts")
	publishHello(t, charts, "1.1.0")
	requestReconcile(t, helmRepo)
	waitReady(t, database, releasedVersion("1.1.0", 2))
	waitReady(t, app)
	waitDeployment(t, ns, "greeter", 1)
	step(t, "database upgraded to 1.1.0, which app's readyExpr waited for: app applied Deployment greeter")

	checkInvariants(t, database, &helmv2.HelmRelease{})
	checkInvariants(t, app, &kustomizev1.Kustomization{})
	checkInvariants(t, infra, &kustomizev1.Kustomization{})
	checkInvariants(t, source, &sourcev1.GitRepository{})
}

// publishHello adds testdata/charts/hello at version to repo and regenerates its index.
func publishHello(t *testing.T, repo *helmrepo.Server, version string) {
	t.Helper()
	files := dirFiles(t, filepath.Join("..", "testdata", "charts", "hello"))
	files["Chart.yaml"] = replaceOnce(t, files["Chart.yaml"], "\nversion: 1.0.0\n", "\nversion: "+version+"\n")
	if _, err := repo.AddChart(files); err != nil {
		t.Fatal(err)
	}
	if err := repo.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
}

// greeter reports whether the Deployment greeter exists in ns.
func greeter(t *testing.T, ns string) bool {
	t.Helper()
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "greeter"}, &appsv1.Deployment{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}
