package stories

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// infrastructureFiles is what the platform team adds to the repository in seed 002's
// layout: clusters/production/infrastructure.yaml, the Kustomization infrastructure that
// apps depends on, and ./infrastructure, which creates the namespace production the apps
// overlay deploys into, with the settings the platform publishes there.
var infrastructureFiles = map[string]string{
	"clusters/production/infrastructure.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infrastructure
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: apps
  path: ./infrastructure
  prune: true
  wait: true
  timeout: 5m
`,
	"infrastructure/namespace.yaml": `apiVersion: v1
kind: Namespace
metadata:
  name: production
  annotations:
    # Other teams' apps live here too: deleting the Kustomization must not delete them.
    kustomize.toolkit.fluxcd.io/prune: disabled
`,
	"infrastructure/platform-settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: platform-settings
  namespace: production
data:
  environment: production
`,
}

// TestStoryProductionOverlay is seed 002: the cluster is bootstrapped from
// ./clusters/production (Flux's usual layout), which holds seed 002's clusters/production/
// apps.yaml as written (GitRepository apps and Kustomization apps, the URL changed) plus
// dependsOn infrastructure. apps waits while infrastructure does not exist, and while it
// fails (its Kustomization pushed before its ./infrastructure directory); once the platform
// team pushes ./infrastructure (namespace production) both become Ready, in order, and the
// production overlay's JSON6902 patch gives Deployment production/my-app 3 replicas of the
// base's image.
func TestStoryProductionOverlay(t *testing.T) {
	dumpLogsOnFailure(t)
	repos, url := gitRepo(t, "gitops-repo", seedRepoFiles(t))
	repos.Branch(t, "gitops-repo", "main", "master")

	step(t, "push clusters/production/apps.yaml: seed 002's GitRepository and Kustomization apps, with dependsOn infrastructure")
	source := seedObject(t, "GitRepository", "apps", fleet.Namespace)
	NewWithT(t).Expect(unstructured.SetNestedField(source.Object, url, "spec", "url")).To(Succeed())
	apps := seedObject(t, "Kustomization", "apps", fleet.Namespace)
	dependsOn := []any{map[string]any{"name": "infrastructure"}}
	NewWithT(t).Expect(unstructured.SetNestedSlice(apps.Object, dependsOn, "spec", "dependsOn")).To(Succeed())
	rev := repos.Commit(t, "gitops-repo", "main", "add the apps of cluster production", map[string]string{
		"clusters/production/apps.yaml": yamlDocuments(t, source, apps),
	})

	step(t, "bootstrap: apply GitRepository apps and Kustomization flux-system at ./clusters/production")
	bootstrap := bootstrapKustomization("./clusters/production")
	apply(t, source, bootstrap)
	waitReady(t, bootstrap, hasRevision("main@sha1:"+rev))
	msg := waitNotReady(t, apps, kustomizev1.DependencyNotReadyReason, "infrastructure")
	step(t, "apps waits for its dependency: %s", msg)
	noDeployment(t, "production", "my-app")

	step(t, "push clusters/production/infrastructure.yaml, but not yet ./infrastructure")
	const infraKs = "clusters/production/infrastructure.yaml"
	repos.Commit(t, "gitops-repo", "main", "add the Kustomization infrastructure", map[string]string{infraKs: infrastructureFiles[infraKs]})
	requestReconcile(t, source)
	infra := &unstructured.Unstructured{}
	infra.SetGroupVersionKind(apps.GroupVersionKind())
	infra.SetNamespace(fleet.Namespace)
	infra.SetName("infrastructure")
	deleteOnCleanup(t, bootstrap, apps, infra, source)
	msg = waitNotReady(t, infra, kustomizev1.ArtifactFailedReason, `path "./infrastructure" does not exist`)
	step(t, "infrastructure fails: %s", msg)
	// The dependency watch wakes apps when infrastructure is created: no request, no poll.
	msg = waitNotReady(t, apps, kustomizev1.DependencyNotReadyReason, "dependency 'flux-system/infrastructure' is not ready")
	step(t, "apps still waits: %s", msg)
	noDeployment(t, "production", "my-app")

	step(t, "push ./infrastructure (namespace production and the platform's settings)")
	rev = repos.Commit(t, "gitops-repo", "main", "add the infrastructure of cluster production", infrastructureFiles)
	requestReconcile(t, source)
	applied := readyBecause(kustomizev1.ReconciliationSucceededReason, "Applied revision: main@sha1:"+rev)
	infra = waitReady(t, infra, hasRevision("main@sha1:"+rev), applied)
	apps = waitReady(t, apps, hasRevision("main@sha1:"+rev), applied)
	step(t, "infrastructure and apps are Ready at main@sha1:%s", rev[:12])

	infraReady, appsReady := readySince(t, infra), readySince(t, apps)
	NewWithT(t).Expect(appsReady).NotTo(BeTemporally("<", infraReady),
		"apps became Ready at %s, before its dependency infrastructure (%s)", appsReady, infraReady)

	d := waitDeployment(t, "production", "my-app", 3)
	NewWithT(t).Expect(d.Spec.Template.Spec.Containers).To(HaveLen(1))
	NewWithT(t).Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("ghcr.io/myorg/my-app:v1.0.0"))
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "production", Name: "my-app"}, &corev1.Service{})).To(Succeed())
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "production", Name: "platform-settings"}, &corev1.ConfigMap{})).To(Succeed())
	step(t, "Deployment production/my-app has 3 available replicas (the overlay's patch) of %s", d.Spec.Template.Spec.Containers[0].Image)

	for _, o := range []*unstructured.Unstructured{bootstrap, infra, apps} {
		checkInvariants(t, o, &kustomizev1.Kustomization{})
	}
}

// bootstrapKustomization returns the Kustomization flux-system that `flux bootstrap` writes
// to gotk-sync.yaml, at path of the GitRepository apps.
func bootstrapKustomization(path string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
		"kind":       "Kustomization",
		"metadata":   map[string]any{"name": "flux-system", "namespace": fleet.Namespace},
		"spec": map[string]any{
			"interval":  "10m",
			"path":      path,
			"prune":     true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "apps"},
		},
	}}
}

// yamlDocuments renders objs as a stream of YAML documents, as a user keeps them in Git.
func yamlDocuments(t *testing.T, objs ...*unstructured.Unstructured) string {
	t.Helper()
	var out string
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		out += "---\n" + string(data)
	}
	return out
}

// readySince returns the lastTransitionTime of o's Ready condition.
func readySince(t *testing.T, o *unstructured.Unstructured) time.Time {
	t.Helper()
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Ready" {
			continue
		}
		s, _ := m["lastTransitionTime"].(string)
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("Ready of %s has no valid lastTransitionTime: %v", o.GetName(), err)
		}
		return at
	}
	t.Fatalf("%s has no Ready condition", o.GetName())
	return time.Time{}
}

// noDeployment checks that Deployment ns/name does not exist.
func noDeployment(t *testing.T, ns, name string) {
	t.Helper()
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &appsv1.Deployment{})
	NewWithT(t).Expect(client.IgnoreNotFound(err)).To(Succeed())
	NewWithT(t).Expect(err).To(HaveOccurred(), "Deployment %s/%s exists", ns, name)
}
