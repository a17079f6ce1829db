package imagepolicy

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller/imagetest"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var suite *imagetest.Suite

// The ImageRepository controller does not run here: tests write a repository's tags into the
// store and its scan result into its status, as a scan would.
func TestMain(m *testing.M) {
	os.Exit(imagetest.Run(m, imagetest.Options{Register: Setup, Started: func(s *imagetest.Suite) { suite = s }}))
}

func namespace(t testing.TB) string { return testenv.NewNamespace(t, suite.Env.Client) }

// newRepo creates an ImageRepository of image (Insecure: a local registry) without a scan.
func newRepo(t testing.TB, ns, name, image string) *imagev1.ImageRepository {
	t.Helper()
	obj := &imagev1.ImageRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: imagev1.ImageRepositorySpec{Image: image, Interval: metav1.Duration{Duration: time.Hour}, Insecure: true}}
	if err := suite.Env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create ImageRepository %s: %v", name, err)
	}
	return obj
}

// scanned stores tags as repo's and records the scan in its status, as the ImageRepository
// controller does after a scan.
func scanned(t testing.TB, repo *imagev1.ImageRepository, tags ...string) {
	t.Helper()
	g := NewWithT(t)
	var cur imagev1.ImageRepository
	g.Eventually(func() error {
		if err := suite.Env.Client.Get(context.Background(), keyOf(repo), &cur); err != nil {
			return err
		}
		keep := ""
		if cur.Status.LastScanResult != nil {
			keep = cur.Status.LastScanResult.Revision
		}
		rev, err := suite.Store.Put(repo.Namespace, repo.Name, tags, keep)
		if err != nil {
			return err
		}
		cur.Status.LastScanResult = &imagev1.ScanResult{Revision: rev, TagCount: len(tags), ScanTime: metav1.Now()}
		cur.Status.ObservedGeneration = cur.Generation
		conditions.MarkTrue(&cur, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "scanned by the test")
		return suite.Env.Client.Status().Update(context.Background(), &cur)
	}, statuscheck.Timeout, testenv.Interval).Should(Succeed())
}

// newPolicy creates an ImagePolicy.
func newPolicy(t testing.TB, ns, name string, spec imagev1.ImagePolicySpec) *imagev1.ImagePolicy {
	t.Helper()
	obj := &imagev1.ImagePolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if err := suite.Env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create ImagePolicy %s: %v", name, err)
	}
	return obj
}

func semver(repo, rng string) imagev1.ImagePolicySpec {
	return imagev1.ImagePolicySpec{ImageRepositoryRef: fluxmeta.NamespacedObjectReference{Name: repo},
		Policy: imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: rng}}}
}

// waitTag waits until the policy's latestRef holds tag and returns the policy.
func waitTag(t testing.TB, obj *imagev1.ImagePolicy, tag string) *imagev1.ImagePolicy {
	t.Helper()
	return statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImagePolicy) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue(), "%+v", cur.Status.Conditions)
		g.Expect(cur.Status.LatestRef).NotTo(BeNil())
		g.Expect(cur.Status.LatestRef.Tag).To(Equal(tag))
	})
}
