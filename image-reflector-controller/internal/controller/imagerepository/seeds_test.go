package imagerepository

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestSeedDocuments applies the seeds' ImageRepositories as written (v1beta1 and v1beta2):
// each is reconciled, not refused. Their registries (myregistry.com, ghcr.io, azurecr.io)
// cannot be reached from a test, so each ends Ready=False saying why, with its canonical
// name in the status.
func TestSeedDocuments(t *testing.T) {
	g := NewWithT(t)
	objs := suite.ApplySeeds(t, namespace(t), imagev1.ImageRepositoryKind)
	g.Expect(objs).To(HaveLen(3), "seeds 000, 002 and 004")
	for _, o := range objs {
		obj := &imagev1.ImageRepository{ObjectMeta: metav1.ObjectMeta{Namespace: o.GetNamespace(), Name: o.GetName()}}
		got := statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImageRepository) {
			ready := conditions.Get(cur, fluxmeta.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(BeElementOf(imagev1.ReadOperationFailedReason, imagev1.AuthenticationFailedReason, fluxmeta.SucceededReason))
		})
		g.Expect(got.Status.CanonicalImageName).To(Equal(o.Object["spec"].(map[string]any)["image"]))
		g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeFalse())
	}
}

// TestProviders: a cloud provider asked to log in to a registry that is not its own is
// refused naming the provider's registries, and nothing is scanned.
func TestProviders(t *testing.T) {
	ns := namespace(t)
	for _, p := range []string{imagev1.AWSProvider, imagev1.AzureProvider, imagev1.GCPProvider} {
		obj := newRepo(t, ns, p, imagev1.ImageRepositorySpec{Image: "127.0.0.1:1/app", Provider: p})
		got := statuscheck.Stalled(t, suite.Env.Client, obj, imagev1.InvalidProviderConfigurationReason, "provider "+p+" logs in to ")
		NewWithT(t).Expect(got.Status.LastScanResult).To(BeNil())
	}
}
