package stories

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// issuerCRD is the CRD the chart issuer installs (from its crds/ directory), as cert-manager's
// chart installs ClusterIssuer in Flux's example.
const issuerCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterissuers.issuers.example.org
spec:
  group: issuers.example.org
  names: {kind: ClusterIssuer, listKind: ClusterIssuerList, plural: clusterissuers, singular: clusterissuer}
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`

// TestStoryArtifactGenerator is Flux's flux2-kustomize-helm-example as it stands since Flux
// 2.7, in a repository of the same shape (e2e/testdata/fleet-repo): the cluster is
// bootstrapped from ./clusters/staging, whose ArtifactGenerator splits the repository into
// the ExternalArtifacts infrastructure, apps and hello-chart (a chart with the staging values
// merged in); the Kustomizations infra-controllers, infra-configs and apps apply them in
// order (a chart by chartRef from an OCIRepository with its CRD, a custom resource of that CRD
// patched for staging, a chart from a HelmRepository with the staging values, and a chart by
// chartRef from an ExternalArtifact). A commit changing the staging values flows through to
// the Deployments, while the infrastructure artifact keeps its record.
func TestStoryArtifactGenerator(t *testing.T) {
	dumpLogsOnFailure(t)
	reg := registry.New(t, registry.Options{})
	pushIssuerChart(t, reg)
	charts, err := helmrepo.New(helmrepo.Options{})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(charts.Close)
	podinfo := dirFiles(t, filepath.Join("..", "testdata", "charts", "hello"))
	podinfo["Chart.yaml"] = replaceOnce(t, podinfo["Chart.yaml"], "name: hello\n", "name: podinfo\n")
	_, err = charts.AddChart(podinfo)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(charts.WriteGeneratedIndex("")).To(Succeed())

	files := fleetRepoFiles(t, reg.OCIURL("charts"), charts.URL())
	repos, url := gitRepo(t, "fleet", files)
	repos.Branch(t, "fleet", "main", "master")
	step(t, "bootstrap: GitRepository flux-system (%s, branch main) and Kustomization flux-system at ./clusters/staging", url)
	source, bootstrap := bootstrapObjects(url)
	apply(t, source, bootstrap)
	gen := objectOf(sourceextv1beta1.GroupVersion.String(), sourceextv1beta1.ArtifactGeneratorKind, fleet.Namespace, "flux-system")
	ks := func(name string) *unstructured.Unstructured {
		return objectOf(kustomizev1.GroupVersion.String(), "Kustomization", fleet.Namespace, name)
	}
	hr := func(ns, name string) *unstructured.Unstructured {
		return objectOf(helmv2.GroupVersion.String(), "HelmRelease", ns, name)
	}
	// Everything the bootstrap applied goes with it (prune), down to the releases and the CRD
	// the charts installed, so that the story can run again in the same cluster.
	deleteOnCleanup(t, bootstrap, source, gen, ks("infra-controllers"), ks("infra-configs"), ks("apps"),
		hr("issuer-system", "issuer"), hr("podinfo", "podinfo"), hr("podinfo", "hello"))

	waitReady(t, gen, readyBecause("Succeeded", "reconciliation succeeded, generated 3 artifact(s)"))
	rev := sourceRevision(t, source)
	infra := waitArtifact(t, "infrastructure", rev)
	waitArtifact(t, "apps", rev)
	step(t, "ArtifactGenerator flux-system published ExternalArtifacts infrastructure, apps and hello-chart from %s", rev)

	for _, name := range []string{"infra-controllers", "infra-configs", "apps"} {
		waitReady(t, ks(name))
	}
	issuer := objectOf("issuers.example.org/v1", "ClusterIssuer", "", "letsencrypt")
	server, _, _ := unstructured.NestedString(get(NewWithT(t), issuer).Object, "spec", "acme", "server")
	NewWithT(t).Expect(server).To(Equal("https://acme.staging.example.org/directory"), "infra-configs patches the server for staging")
	waitReady(t, hr("issuer-system", "issuer"))
	waitDeployment(t, "issuer-system", "issuer", 1)
	step(t, "infra-controllers installed chart issuer (chartRef OCIRepository) and its CRD; infra-configs applied ClusterIssuer letsencrypt with the staging server")

	waitReady(t, hr("podinfo", "podinfo"), releasedVersion("1.0.0", 1))
	waitDeployment(t, "podinfo", "podinfo", 2, withMessage("podinfo on staging"))
	waitReady(t, hr("podinfo", "hello"))
	waitDeployment(t, "podinfo", "hello", 1, withMessage("hello from staging"))
	step(t, "apps installed podinfo (HelmRepository, staging values: 2 replicas) and hello (chartRef ExternalArtifact hello-chart, values merged by the generator)")

	next := repos.Commit(t, "fleet", "main", "staging: 3 replicas of podinfo, a new greeting", map[string]string{
		"apps/staging/podinfo-values.yaml": replaceOnce(t, files["apps/staging/podinfo-values.yaml"], "replicaCount: 2", "replicaCount: 3"),
		"charts/staging/hello-values.yaml": replaceOnce(t, files["charts/staging/hello-values.yaml"], "hello from staging", "hello again from staging"),
	})
	requestReconcile(t, source)
	step(t, "pushed main@sha1:%s (staging values) and asked for a reconcile of GitRepository flux-system", next[:12])
	waitArtifact(t, "apps", "main@sha1:"+next)
	waitArtifact(t, "hello-chart", "main@sha1:"+next)
	waitDeployment(t, "podinfo", "podinfo", 3, withMessage("podinfo on staging"))
	waitDeployment(t, "podinfo", "hello", 1, withMessage("hello again from staging"))
	after := get(NewWithT(t), objectOf(sourcev1.GroupVersion.String(), sourcev1.ExternalArtifactKind, fleet.Namespace, "infrastructure"))
	artifact, _, _ := unstructured.NestedMap(after.Object, "status", "artifact")
	NewWithT(t).Expect(artifact).To(Equal(infra), "the infrastructure artifact did not change: its record stays (no new reconcile of its consumers)")
	step(t, "apps and hello-chart got new artifacts; podinfo runs 3 replicas and hello the new greeting; infrastructure kept its artifact")

	checkInvariants(t, gen, &sourceextv1beta1.ArtifactGenerator{})
	for _, name := range []string{"infra-controllers", "infra-configs", "apps"} {
		checkInvariants(t, ks(name), &kustomizev1.Kustomization{})
	}
}

// fleetRepoFiles returns the files of e2e/testdata/fleet-repo with the servers' addresses,
// and the chart hello of e2e/testdata/charts under charts/hello.
func fleetRepoFiles(t *testing.T, ociCharts, helmRepository string) map[string]string {
	t.Helper()
	files := dirFiles(t, filepath.Join("..", "testdata", "fleet-repo"))
	for p, content := range files {
		content = strings.ReplaceAll(content, "${OCI_CHARTS_URL}", ociCharts)
		files[p] = strings.ReplaceAll(content, "${HELM_REPOSITORY_URL}", helmRepository)
	}
	for p, content := range dirFiles(t, filepath.Join("..", "testdata", "charts", "hello")) {
		files["charts/hello/"+p] = content
	}
	return files
}

// pushIssuerChart pushes the chart hello, renamed issuer and with the ClusterIssuer CRD, to
// charts/issuer of reg as version 1.0.0, as `helm push` does.
func pushIssuerChart(t *testing.T, reg *registry.Registry) {
	t.Helper()
	files := dirFiles(t, filepath.Join("..", "testdata", "charts", "hello"))
	files["Chart.yaml"] = replaceOnce(t, files["Chart.yaml"], "name: hello\n", "name: issuer\n")
	files["crds/clusterissuers.yaml"] = issuerCRD
	data, err := helmrepo.PackageFiles(files)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	_, err = reg.Push("charts/issuer", "1.0.0", registry.Artifact{
		ConfigMediaType: helmConfigMediaType,
		Config:          []byte(`{"apiVersion":"v2","name":"issuer","version":"1.0.0"}`),
		Layers:          []registry.Layer{{MediaType: helmChartMediaType, Data: data}},
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// bootstrapObjects returns what `flux bootstrap` writes to gotk-sync.yaml: GitRepository
// flux-system of url (branch main) and Kustomization flux-system at ./clusters/staging.
func bootstrapObjects(url string) (*unstructured.Unstructured, *unstructured.Unstructured) {
	source := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "flux-system", "namespace": fleet.Namespace},
		"spec":     map[string]any{"interval": "1m", "url": url, "ref": map[string]any{"branch": "main"}},
	}}
	ks := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "flux-system", "namespace": fleet.Namespace},
		"spec": map[string]any{"interval": "10m", "path": "./clusters/staging", "prune": true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "flux-system"}},
	}}
	return source, ks
}

// objectOf names an object of apiVersion and kind.
func objectOf(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetNamespace(ns)
	o.SetName(name)
	return o
}

// waitArtifact waits until the ExternalArtifact name is Ready with an artifact of revision
// latest@sha256:… whose origin revision is origin, and returns the artifact.
func waitArtifact(t *testing.T, name, origin string) map[string]any {
	t.Helper()
	var artifact map[string]any
	waitReady(t, objectOf(sourcev1.GroupVersion.String(), sourcev1.ExternalArtifactKind, fleet.Namespace, name), func(g Gomega, o *unstructured.Unstructured) {
		artifact, _, _ = unstructured.NestedMap(o.Object, "status", "artifact")
		g.Expect(artifact).To(HaveKeyWithValue("revision", HavePrefix("latest@sha256:")))
		g.Expect(artifact).To(HaveKeyWithValue("metadata", HaveKeyWithValue(sourceextv1beta1.OriginRevisionAnnotation, origin)))
	})
	return artifact
}

// withMessage checks the MESSAGE of the chart hello's container.
func withMessage(message string) func(Gomega, *appsv1.Deployment) {
	return func(g Gomega, d *appsv1.Deployment) {
		g.Expect(d.Spec.Template.Spec.Containers).NotTo(BeEmpty())
		g.Expect(d.Spec.Template.Spec.Containers[0].Env).To(ContainElement(HaveField("Value", message)), fmt.Sprintf("MESSAGE of %s", d.Name))
	}
}
