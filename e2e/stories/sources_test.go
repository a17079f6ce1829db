package stories

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/s3server"
)

// Media types of a chart pushed to an OCI registry, as `helm push` writes them.
const (
	helmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	helmChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// TestStoryEverySource delivers the same small application (a ConfigMap and a Deployment in
// a namespace of its own) through every kind of source: a GitRepository over SSH, an
// OCIRepository (a tag, then a semver range), a Bucket on an S3 server, and a HelmRelease
// whose chart comes from an OCI registry, both through a HelmRepository of type oci and
// through a chartRef to an OCIRepository. Each time the Kustomization or HelmRelease is
// Ready at the source's revision, the Deployment is available, and a change at the source
// is followed once the source is asked to reconcile.
func TestStoryEverySource(t *testing.T) {
	dumpLogsOnFailure(t)
	reg := registry.New(t, registry.Options{})
	storyGitOverSSH(t)
	storyOCIRepository(t, reg)
	storyBucket(t)
	storyHelmFromOCI(t, reg)
}

// storyGitOverSSH: a GitRepository with an ssh:// URL and a Secret holding identity and
// known_hosts, as `flux create secret git --private-key-file` makes it. A Secret without
// known_hosts first: the GitRepository says what is missing and the Kustomization waits.
func storyGitOverSSH(t *testing.T) {
	ns := sourcesNamespace(t, "ssh")
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", appFiles(ns, 1, "ssh v1"))
	repos.Branch(t, "app", "main", "master")
	srv := repos.ServeSSH(t)

	step(t, "ssh: apply Secret ssh-credentials (identity only, known_hosts forgotten), GitRepository app (%s) and Kustomization app", srv.RepoURL("app"))
	apply(t, secret(ns, "ssh-credentials", map[string][]byte{"identity": srv.Identity}))
	source := applyYAML(t, ns, fmt.Sprintf(`
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  interval: 10m
  url: %s
  ref:
    branch: main
  secretRef:
    name: ssh-credentials
`, srv.RepoURL("app")))[0]
	ks := appKustomization(t, ns, "GitRepository")
	msg := waitNotReady(t, source, "AuthenticationFailed", "known_hosts")
	waitNotReady(t, ks, "ArtifactFailed", "not ready")
	step(t, "ssh: GitRepository app is Ready=False AuthenticationFailed (%s); Kustomization app waits (ArtifactFailed)", msg)

	step(t, "ssh: add known_hosts to the Secret and reconcile the source (flux reconcile source git app)")
	apply(t, secret(ns, "ssh-credentials", map[string][]byte{"identity": srv.Identity, "known_hosts": srv.KnownHosts}))
	requestReconcile(t, source)
	rev := "main@sha1:" + strings.TrimSpace(gitserver.Git(t, repos.WorkDir("app"), "rev-parse", "HEAD"))
	waitFollowed(t, source, ks, ns, rev, 1, "ssh v1")
	step(t, "ssh: Kustomization app applied %s; Deployment %s/app has 1 available replica", rev, ns)

	rev = "main@sha1:" + repos.Commit(t, "app", "main", "scale to 2", appFiles(ns, 2, "ssh v2"))
	requestReconcile(t, source)
	waitFollowed(t, source, ks, ns, rev, 2, "ssh v2")
	step(t, "ssh: a push (replicas 2) was followed: %s", rev)

	checkDelivery(t, source, &sourcev1.GitRepository{}, ks)
}

// storyOCIRepository: artifacts pushed as `flux push artifact --source --revision` does; the
// OCIRepository follows tag 1.0.0, then the range >=1.0.0, which picks the newest tag pushed;
// the Kustomization records the Git revision each artifact was built from.
func storyOCIRepository(t *testing.T, reg *registry.Registry) {
	ns := sourcesNamespace(t, "oci")
	const gitURL = "https://git.example/app.git"
	origin := func(replicas int) string { return fmt.Sprintf("main@sha1:%040x", replicas) }
	push := func(tag string, replicas int) string {
		digest, err := reg.PushFiles("apps/app", tag, appFiles(ns, replicas, "oci "+tag), gitURL, origin(replicas))
		if err != nil {
			t.Fatal(err)
		}
		return tag + "@" + digest
	}
	first := push("1.0.0", 1)
	ociRepository := func(ref string) *unstructured.Unstructured {
		return decodeYAML(t, fmt.Sprintf(`
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: app
  namespace: %s
spec:
  interval: 10m
  url: %s
  insecure: true
  ref:
    %s
`, ns, reg.OCIURL("apps/app"), ref))[0]
	}

	step(t, "oci: pushed %s; apply OCIRepository app (tag 1.0.0) and Kustomization app", first)
	source := ociRepository("tag: 1.0.0")
	apply(t, source)
	ks := appKustomization(t, ns, "OCIRepository")
	waitFollowed(t, source, ks, ns, first, 1, "oci 1.0.0")
	waitReady(t, source, artifactMetadata(registry.SourceAnnotation, gitURL), artifactMetadata(registry.RevisionAnnotation, origin(1)))
	waitReady(t, ks, originRevision(origin(1)))
	step(t, "oci: Kustomization app applied %s, built from %s", first, origin(1))

	second := push("1.1.0", 2)
	source = ociRepository(`semver: ">=1.0.0"`)
	apply(t, source)
	waitFollowed(t, source, ks, ns, second, 2, "oci 1.1.0")
	step(t, "oci: pushed 1.1.0 and changed ref to semver >=1.0.0: Kustomization app applied %s", second)

	third := push("1.2.0", 3)
	requestReconcile(t, source)
	waitFollowed(t, source, ks, ns, third, 3, "oci 1.2.0")
	waitReady(t, ks, originRevision(origin(3)))
	step(t, "oci: pushed 1.2.0 and reconciled the source: Kustomization app applied %s", third)

	checkDelivery(t, source, &sourcev1.OCIRepository{}, ks)
}

// storyBucket: a Bucket of the generic provider on a real S3 server, with the keys in a
// Secret (accesskey, secretkey).
func storyBucket(t *testing.T) {
	ns := sourcesNamespace(t, "bucket")
	s3, err := s3server.Start(s3server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3.Stop() })
	ctx := context.Background()
	const bucketName = "story-sources"
	NewWithT(t).Expect(s3.CreateBucket(ctx, bucketName)).To(Succeed())
	objects := appFiles(ns, 1, "bucket v1")
	objects["deploy/extra.yaml"] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-extra\n  namespace: %s\n", ns)
	NewWithT(t).Expect(s3.PutObjects(ctx, bucketName, objects)).To(Succeed())

	step(t, "bucket: apply Secret s3-credentials, Bucket app (generic, %s) and Kustomization app", s3.Endpoint)
	apply(t, secret(ns, "s3-credentials", map[string][]byte{"accesskey": []byte(s3.AccessKey), "secretkey": []byte(s3.SecretKey)}))
	source := applyYAML(t, ns, fmt.Sprintf(`
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: app
spec:
  interval: 10m
  provider: generic
  bucketName: %s
  endpoint: %s
  insecure: true
  region: %s
  secretRef:
    name: s3-credentials
`, bucketName, s3.Endpoint, s3.Region))[0]
	ks := appKustomization(t, ns, "Bucket")
	first := sourceRevision(t, source)
	waitFollowed(t, source, ks, ns, first, 1, "bucket v1")
	extra := &corev1.ConfigMap{ObjectMeta: objectMeta(ns, "app-extra")}
	NewWithT(t).Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(extra), extra)).To(Succeed())
	step(t, "bucket: Kustomization app applied %s (ConfigMaps app and app-extra, Deployment app)", first)

	_, err = s3.PutObject(ctx, bucketName, "deploy/app.yaml", []byte(appFiles(ns, 2, "bucket v2")["deploy/app.yaml"]))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(s3.DeleteObject(ctx, bucketName, "deploy/extra.yaml")).To(Succeed())
	requestReconcile(t, source)
	second := sourceRevision(t, source, first)
	waitFollowed(t, source, ks, ns, second, 2, "bucket v2")
	waitGone(t, extra)
	step(t, "bucket: deploy/app.yaml changed (replicas 2) and deploy/extra.yaml deleted in the bucket: followed at %s, app-extra pruned", second)

	checkDelivery(t, source, &sourcev1.Bucket{}, ks)
}

// storyHelmFromOCI: chart hello pushed to an OCI registry as `helm push` does, installed by
// a HelmRelease through a HelmRepository of type oci and by another through a chartRef to an
// OCIRepository selecting the chart layer; a new version pushed upgrades both.
func storyHelmFromOCI(t *testing.T, reg *registry.Registry) {
	ns := sourcesNamespace(t, "helm")
	pushHelmChart(t, reg, "1.0.0")

	step(t, "helm: pushed hello 1.0.0 to %s; apply HelmRepository charts (type oci), HelmRelease hello (1.x) and, by chartRef, OCIRepository hello and HelmRelease hello-ref", reg.OCIURL("charts"))
	objs := applyYAML(t, ns, fmt.Sprintf(`
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
spec:
  type: oci
  interval: 10m
  url: %s
  insecure: true
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: hello
spec:
  interval: 10m
  chart:
    spec:
      chart: hello
      version: "1.x"
      interval: 10m
      sourceRef:
        kind: HelmRepository
        name: charts
  values:
    replicaCount: 2
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: hello
spec:
  interval: 10m
  url: %s
  insecure: true
  ref:
    semver: ">=1.0.0"
  layerSelector:
    mediaType: %s
    operation: copy
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: hello-ref
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: hello
`, reg.OCIURL("charts"), reg.OCIURL("charts/hello"), helmChartMediaType))
	repository, release, ociRepository, refRelease := objs[0], objs[1], objs[2], objs[3]
	helmChart := helmChartOf(t, release)
	waitHelmFollowed(t, helmChart, release, ociRepository, refRelease, "1.0.0", 1)
	step(t, "helm: both releases installed hello 1.0.0 (HelmChart %s/%s, OCIRepository hello)", helmChart.GetNamespace(), helmChart.GetName())

	pushHelmChart(t, reg, "1.1.0")
	requestReconcile(t, helmChart)
	requestReconcile(t, ociRepository)
	waitHelmFollowed(t, helmChart, release, ociRepository, refRelease, "1.1.0", 2)
	step(t, "helm: pushed hello 1.1.0 and reconciled the sources (the HelmChart, as flux reconcile hr --with-source does, and the OCIRepository): both releases upgraded to 1.1.0 (revision 2)")

	checkInvariants(t, repository, &sourcev1.HelmRepository{})
	checkInvariants(t, helmChart, &sourcev1.HelmChart{})
	checkInvariants(t, ociRepository, &sourcev1.OCIRepository{})
	checkInvariants(t, release, &helmv2.HelmRelease{})
	checkInvariants(t, refRelease, &helmv2.HelmRelease{})
}

// waitHelmFollowed waits until both releases of storyHelmFromOCI run chart version at Helm
// revision, from the HelmChart and from the OCIRepository, with their Deployments available
// and Flux's Ready reasons and messages.
func waitHelmFollowed(t *testing.T, helmChart, release, ociRepository, refRelease *unstructured.Unstructured, version string, revision int64) {
	t.Helper()
	waitReady(t, helmChart, hasRevision(version), readyBecause("ChartPullSucceeded", "pulled 'hello' chart with version '"+version+"'"))
	waitReady(t, release, releasedVersion(version, revision), releasedBecause(release, version, revision))
	var ociRevision string
	waitReady(t, ociRepository, func(g Gomega, o *unstructured.Unstructured) {
		ociRevision, _, _ = unstructured.NestedString(o.Object, "status", "artifact", "revision")
		g.Expect(ociRevision).To(HavePrefix(version+"@sha256:"), "the OCIRepository picks the newest tag")
	})
	// A chart from an OCIRepository is versioned <version>+<first 12 hex of its digest>.
	ociVersion := version + "+" + strings.TrimPrefix(ociRevision, version+"@sha256:")[:12]
	waitReady(t, refRelease, releasedVersion(ociVersion, revision), releasedBecause(refRelease, ociVersion, revision))
	ns := release.GetNamespace()
	waitDeployment(t, ns, "hello", 2)
	waitDeployment(t, ns, "hello-ref", 1)
}

// releasedBecause checks Flux's Ready reason and message of a HelmRelease whose release
// revision installed (1) or upgraded to chart hello at version.
func releasedBecause(release *unstructured.Unstructured, version string, revision int64) func(Gomega, *unstructured.Unstructured) {
	reason, verb := "UpgradeSucceeded", "upgrade"
	if revision == 1 {
		reason, verb = "InstallSucceeded", "install"
	}
	return readyBecause(reason, fmt.Sprintf("Helm %s succeeded for release %s/%s.v%d with chart hello@%s",
		verb, release.GetNamespace(), release.GetName(), revision, version))
}

// pushHelmChart packages testdata/charts/hello at version and pushes it to charts/hello in
// reg, tagged with the version.
func pushHelmChart(t *testing.T, reg *registry.Registry, version string) {
	t.Helper()
	files := dirFiles(t, filepath.Join("..", "testdata", "charts", "hello"))
	files["Chart.yaml"] = replaceOnce(t, files["Chart.yaml"], "\nversion: 1.0.0\n", "\nversion: "+version+"\n")
	data, err := helmrepo.PackageFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg.Push("charts/hello", version, registry.Artifact{
		ConfigMediaType: helmConfigMediaType,
		Config:          []byte(`{"apiVersion":"v2","name":"hello","version":"` + version + `","appVersion":"1.0.0"}`),
		Layers:          []registry.Layer{{MediaType: helmChartMediaType, Data: data}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// helmChartOf waits until a HelmRelease names its HelmChart and returns it.
func helmChartOf(t *testing.T, release *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	var ref string
	NewWithT(t).Eventually(func(g Gomega) {
		ref, _, _ = unstructured.NestedString(get(g, release).Object, "status", "helmChart")
		g.Expect(ref).To(ContainSubstring("/"))
	}, timeout, interval).Should(Succeed())
	ns, name, _ := strings.Cut(ref, "/")
	hc := &unstructured.Unstructured{}
	hc.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	hc.SetKind("HelmChart")
	hc.SetNamespace(ns)
	hc.SetName(name)
	return hc
}

// sourcesNamespace creates namespace story-sources-<suffix>, deleted when the story passes.
func sourcesNamespace(t *testing.T, suffix string) string {
	t.Helper()
	name := "story-sources-" + suffix
	ensureNamespace(t, name)
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		ns := &corev1.Namespace{ObjectMeta: objectMeta("", name)}
		if err := client.IgnoreNotFound(env.Client.Delete(context.Background(), ns)); err != nil {
			t.Errorf("failed to delete namespace %s: %v", name, err)
		}
	})
	return name
}

// appFiles is the application every source delivers: a ConfigMap holding message and a
// Deployment of replicas in namespace ns, in deploy/app.yaml.
func appFiles(ns string, replicas int, message string) map[string]string {
	return map[string]string{"deploy/app.yaml": fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: %[1]s
data:
  message: %[3]q
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
        - name: app
          image: nginx:1.27
          envFrom:
            - configMapRef:
                name: app
`, ns, replicas, message)}
}

// appKustomization applies Kustomization app of ns, which applies ./deploy of the source
// app of kind, prunes and waits for what it applied.
func appKustomization(t *testing.T, ns, kind string) *unstructured.Unstructured {
	t.Helper()
	return applyYAML(t, ns, fmt.Sprintf(`
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 10m
  path: ./deploy
  prune: true
  wait: true
  timeout: 2m
  sourceRef:
    kind: %s
    name: app
`, kind))[0]
}

// waitFollowed waits until the source holds revision rev, the Kustomization applied it (both
// with Flux's Ready reason and message), the Deployment has replicas available and the
// ConfigMap holds message.
func waitFollowed(t *testing.T, source, ks *unstructured.Unstructured, ns, rev string, replicas int32, message string) {
	t.Helper()
	stored := "stored artifact for revision '" + rev + "'"
	if source.GetKind() == "OCIRepository" {
		stored = "stored artifact for digest '" + rev + "'"
	}
	waitReady(t, source, hasRevision(rev), readyBecause("Succeeded", stored))
	waitReady(t, ks, hasRevision(rev), readyBecause("ReconciliationSucceeded", "Applied revision: "+rev))
	waitDeployment(t, ns, "app", replicas)
	cm := &corev1.ConfigMap{}
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, cm)).To(Succeed())
	NewWithT(t).Expect(cm.Data).To(HaveKeyWithValue("message", message))
}

// checkDelivery checks the kstatus invariants of the conditions of a source (read into
// typed) and of the Kustomization ks that applies it.
func checkDelivery(t *testing.T, source *unstructured.Unstructured, typed fluxmeta.StatusObject, ks *unstructured.Unstructured) {
	t.Helper()
	checkInvariants(t, source, typed)
	checkInvariants(t, ks, &kustomizev1.Kustomization{})
}

// sourceRevision waits until source is Ready with an artifact whose revision is none of
// previous, and returns that revision.
func sourceRevision(t *testing.T, source *unstructured.Unstructured, previous ...string) string {
	t.Helper()
	var rev string
	waitReady(t, source, func(g Gomega, o *unstructured.Unstructured) {
		rev, _, _ = unstructured.NestedString(o.Object, "status", "artifact", "revision")
		g.Expect(rev).NotTo(BeEmpty())
		g.Expect(previous).NotTo(ContainElement(rev))
	})
	return rev
}

// artifactMetadata checks that a source's artifact metadata holds key with value.
func artifactMetadata(key, value string) func(Gomega, *unstructured.Unstructured) {
	return func(g Gomega, o *unstructured.Unstructured) {
		got, _, _ := unstructured.NestedStringMap(o.Object, "status", "artifact", "metadata")
		g.Expect(got).To(HaveKeyWithValue(key, value))
	}
}

// originRevision checks a Kustomization's lastAppliedOriginRevision.
func originRevision(rev string) func(Gomega, *unstructured.Unstructured) {
	return func(g Gomega, o *unstructured.Unstructured) {
		got, _, _ := unstructured.NestedString(o.Object, "status", "lastAppliedOriginRevision")
		g.Expect(got).To(Equal(rev))
	}
}

// secret returns an Opaque Secret ns/name holding data.
func secret(ns, name string, data map[string][]byte) *unstructured.Unstructured {
	encoded := map[string]any{}
	for k, v := range data {
		encoded[k] = base64.StdEncoding.EncodeToString(v)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"type":       "Opaque",
		"data":       encoded,
	}}
}
