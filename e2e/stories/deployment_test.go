package stories

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
)

// gitRepository returns a GitRepository ns/name that follows branch main of url.
func gitRepository(ns, name, url string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "GitRepository",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"interval": "1m",
			"url":      url,
			"ref":      map[string]any{"branch": "main"},
		},
	}}
	return o
}

// hasRevision checks that a source's artifact, or a Kustomization's last applied revision,
// is rev.
func hasRevision(rev string) func(Gomega, *unstructured.Unstructured) {
	return func(g Gomega, o *unstructured.Unstructured) {
		path := []string{"status", "artifact", "revision"}
		if o.GetKind() == "Kustomization" {
			path = []string{"status", "lastAppliedRevision"}
		}
		got, _, _ := unstructured.NestedString(o.Object, path...)
		g.Expect(got).To(Equal(rev))
	}
}

// TestStoryDeploymentFollowsGit is seed 003: a plain Deployment in Git, reconciled by the
// seed's Kustomization `my-apps` (prune, wait). A push that changes replicas 2 → 3 is
// followed; a manual scale is reverted on the next reconcile; deleting the file prunes the
// Deployment.
func TestStoryDeploymentFollowsGit(t *testing.T) {
	dumpLogsOnFailure(t)
	files := seedRepoFiles(t)
	repos, url := gitRepo(t, "fleet-infra", files)
	repos.Branch(t, "fleet-infra", "main", "master")

	step(t, "apply GitRepository flux-system (branch main of %s) and seed 003's Kustomization my-apps", url)
	source := gitRepository(fleet.Namespace, "flux-system", url)
	ks := seedObject(t, "Kustomization", "my-apps", fleet.Namespace)
	apply(t, source, ks)
	deleteOnCleanup(t, ks, source)
	waitReady(t, ks)
	waitDeployment(t, "default", "my-app", 2)
	step(t, "Deployment default/my-app has 2 available replicas")

	step(t, "push replicas: 3 and ask for a reconcile of the source (as a webhook receiver does)")
	manifest := files["apps/my-app/my-app.yaml"]
	changed := replaceOnce(t, manifest, "replicas: 2", "replicas: 3")
	rev := repos.Commit(t, "fleet-infra", "main", "scale my-app to 3", map[string]string{"apps/my-app/my-app.yaml": changed})
	requestReconcile(t, source)
	waitReady(t, source, hasRevision("main@sha1:"+rev))
	waitReady(t, ks, hasRevision("main@sha1:"+rev))
	waitDeployment(t, "default", "my-app", 3)
	step(t, "the cluster followed: 3 available replicas at main@sha1:%s", rev[:12])

	step(t, "scale the Deployment by hand to 5 (kubectl scale), then let the Kustomization reconcile")
	kubectl(t, "", "scale", "deployment/my-app", "--namespace=default", "--replicas=5")
	expectReplicas(NewWithT(t), "default", "my-app", 5)
	at := requestReconcile(t, ks)
	waitHandled(t, ks, at)
	waitDeployment(t, "default", "my-app", 3)
	step(t, "the manual change was reverted to 3 replicas")

	step(t, "delete apps/my-app/my-app.yaml (and add a ConfigMap) and push")
	rev = repos.Commit(t, "fleet-infra", "main", "retire my-app", map[string]string{
		"apps/my-app/my-app.yaml":   "",
		"apps/my-app/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-app-settings\n  namespace: default\ndata:\n  greeting: hello\n",
	})
	requestReconcile(t, source)
	waitReady(t, ks, hasRevision("main@sha1:"+rev))
	waitGone(t, &appsv1.Deployment{ObjectMeta: objectMeta("default", "my-app")})
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "my-app-settings"}, &corev1.ConfigMap{})).To(Succeed())
	step(t, "the Deployment was pruned; the new ConfigMap is applied")

	inventory, _, _ := unstructured.NestedSlice(get(NewWithT(t), ks).Object, "status", "inventory", "entries")
	NewWithT(t).Expect(inventory).To(HaveLen(1), "the inventory holds only the ConfigMap")
}
