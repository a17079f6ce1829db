package imagepolicy

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestSeedDocuments applies the seeds' ImageRepositories and ImagePolicies as written
// (image.toolkit.fluxcd.io/v1beta1 and v1beta2), scans the repositories (as the test
// writes it), and reads every policy back in its own version and in v1beta1: each is Ready
// with status.latestImage as Flux showed it (`<image>:<tag>`), besides v1's latestRef.
func TestSeedDocuments(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	objs := suite.ApplySeeds(t, ns, imagev1.ImageRepositoryKind, imagev1.ImagePolicyKind)
	var policies []*unstructured.Unstructured
	for _, obj := range objs {
		if obj.GetKind() == imagev1.ImagePolicyKind {
			policies = append(policies, obj)
			continue
		}
		repo := &imagev1.ImageRepository{}
		g.Expect(suite.Env.Client.Get(context.Background(), keyOf(obj), repo)).To(Succeed())
		scanned(t, repo, "0.9.0", "1.2.3", "2.0.0", "2.1.0-rc.1")
	}
	g.Expect(policies).To(HaveLen(2), "seeds 002 and 004")
	want := map[string]string{"my-app": "ghcr.io/myorg/my-app:1.2.3", "payment-api": "myacr.azurecr.io/payment-api:2.0.0"}
	for _, p := range policies {
		typed := &imagev1.ImagePolicy{}
		g.Expect(suite.Env.Client.Get(context.Background(), keyOf(p), typed)).To(Succeed())
		statuscheck.Ready(t, suite.Env.Client, typed)
		for _, version := range []string{p.GetAPIVersion(), "image.toolkit.fluxcd.io/v1beta1"} {
			view := &unstructured.Unstructured{}
			view.SetAPIVersion(version)
			view.SetKind(imagev1.ImagePolicyKind)
			g.Expect(suite.Env.Client.Get(context.Background(), keyOf(p), view)).To(Succeed())
			latest, _, _ := unstructured.NestedString(view.Object, "status", "latestImage")
			g.Expect(latest).To(Equal(want[p.GetName()]), "%s %s", version, p.GetName())
		}
	}
}
