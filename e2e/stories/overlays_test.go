package stories

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// TestStoryLegacyOverlays is seed 004: a base and dev/staging/production overlays written
// with the older kustomize fields bases:, patchesStrategicMerge: and images:. The seed's
// Kustomization as written (path ./deploy, targetNamespace production) would apply the base
// and all three overlays into one namespace: it fails with a message naming the duplicate
// Deployment and applies nothing. The user points it at ./deploy/overlays/production and
// gets 5 replicas of myapp:v2.1.0 with the overlay's resources; a second Kustomization
// deploys the dev overlay, 1 replica in namespace dev, beside it.
func TestStoryLegacyOverlays(t *testing.T) {
	dumpLogsOnFailure(t)
	repos, url := gitRepo(t, "payment-service", seedRepoFiles(t))
	repos.Branch(t, "payment-service", "main", "master")

	step(t, "apply seed 004's GitRepository payment-service (URL changed) and Kustomization payment-service as written (path ./deploy)")
	source := seedObject(t, "GitRepository", "payment-service", fleet.Namespace)
	NewWithT(t).Expect(unstructured.SetNestedField(source.Object, url, "spec", "url")).To(Succeed())
	ks := seedObject(t, "Kustomization", "payment-service", fleet.Namespace)
	apply(t, source, ks)
	waitReady(t, source)
	msg := waitNotReady(t, ks, kustomizev1.BuildFailedReason, `"./deploy"`, "more than once", "Deployment.apps production/payment-api",
		"./deploy/base, ./deploy/overlays/dev, ./deploy/overlays/production, ./deploy/overlays/staging")
	step(t, "the Kustomization fails: %s", msg)
	waitEvent(t, ks, corev1.EventTypeWarning, kustomizev1.BuildFailedReason, msg)
	checkNothingApplied(t, ks, "payment-api")
	checkInvariants(t, ks, &kustomizev1.Kustomization{})
	step(t, "nothing was applied: no payment-api anywhere, empty inventory")

	step(t, "fix the path to ./deploy/overlays/production, and add Kustomization payment-service-dev at ./deploy/overlays/dev")
	ensureNamespace(t, "production")
	ensureNamespace(t, "dev")
	NewWithT(t).Expect(unstructured.SetNestedField(ks.Object, "./deploy/overlays/production", "spec", "path")).To(Succeed())
	dev := ks.DeepCopy()
	dev.SetName("payment-service-dev")
	NewWithT(t).Expect(unstructured.SetNestedField(dev.Object, "./deploy/overlays/dev", "spec", "path")).To(Succeed())
	unstructured.RemoveNestedField(dev.Object, "spec", "targetNamespace")
	apply(t, ks, dev)
	deleteOnCleanup(t, ks, dev, source)
	rev, _, _ := unstructured.NestedString(get(NewWithT(t), source).Object, "status", "artifact", "revision")
	applied := readyBecause(kustomizev1.ReconciliationSucceededReason, "Applied revision: "+rev)
	ks, dev = waitReady(t, ks, applied), waitReady(t, dev, applied)

	d := waitDeployment(t, "production", "payment-api", 5)
	c := d.Spec.Template.Spec.Containers
	NewWithT(t).Expect(c).To(HaveLen(1))
	NewWithT(t).Expect(c[0].Image).To(Equal("myapp:v2.1.0"), "the images: newTag of the production overlay")
	NewWithT(t).Expect(c[0].Resources.Requests).To(Equal(corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi"),
	}), "requests of resource-patch.yaml")
	NewWithT(t).Expect(c[0].Resources.Limits).To(Equal(corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("2Gi"),
	}), "limits of resource-patch.yaml")
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "production", Name: "payment-api"}, &corev1.Service{})).To(Succeed())
	step(t, "Deployment production/payment-api has 5 available replicas of %s with the overlay's resources; Service production/payment-api exists", c[0].Image)

	d = waitDeployment(t, "dev", "payment-api", 1)
	NewWithT(t).Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("myapp:latest"), "the base's image")
	NewWithT(t).Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "dev", Name: "payment-api"}, &corev1.Service{})).To(Succeed())
	step(t, "Deployment dev/payment-api has 1 available replica of myapp:latest, beside production")

	for _, o := range []*unstructured.Unstructured{ks, dev} {
		entries, _, _ := unstructured.NestedSlice(o.Object, "status", "inventory", "entries")
		NewWithT(t).Expect(entries).To(HaveLen(2), "the inventory of %s holds the Deployment and the Service", o.GetName())
		checkInvariants(t, o, &kustomizev1.Kustomization{})
	}
}

// checkNothingApplied checks that the Kustomization ks has an empty inventory and that no
// Deployment or Service called name exists in any namespace.
func checkNothingApplied(t *testing.T, ks *unstructured.Unstructured, name string) {
	t.Helper()
	g := NewWithT(t)
	entries, _, _ := unstructured.NestedSlice(get(g, ks).Object, "status", "inventory", "entries")
	g.Expect(entries).To(BeEmpty(), "inventory of %s", ks.GetName())
	var deployments appsv1.DeploymentList
	g.Expect(env.Client.List(context.Background(), &deployments)).To(Succeed())
	for _, d := range deployments.Items {
		g.Expect(d.Name).NotTo(Equal(name), "Deployment %s/%s was applied", d.Namespace, d.Name)
	}
	var services corev1.ServiceList
	g.Expect(env.Client.List(context.Background(), &services)).To(Succeed())
	for _, s := range services.Items {
		g.Expect(s.Name).NotTo(Equal(name), "Service %s/%s was applied", s.Namespace, s.Name)
	}
}
