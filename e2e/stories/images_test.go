package stories

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// TestStoryImagePolicyFollowsTags: seed 002's ImageRepository and ImagePolicy
// (image.toolkit.fluxcd.io/v1beta2, range 1.x) are applied as written; ghcr.io cannot be
// reached from here, so the repository says so and the policy waits for its first scan. Then
// the repository points at a local registry behind basic auth (a dockerconfigjson Secret)
// holding 1.0.0, 1.1.0 and 2.0.0-rc.1: the policy elects 1.1.0, and its v1beta2 view shows
// latestImage as Flux did. CI pushes 1.2.0 and asks the repository to reconcile (as a
// registry webhook would): one scan later the policy elects 1.2.0.
func TestStoryImagePolicyFollowsTags(t *testing.T) {
	dumpLogsOnFailure(t)
	g := NewWithT(t)
	ns := fleet.Namespace
	reg := registry.New(t, registry.Options{Username: "ci", Password: "s3cret"})
	for _, tag := range []string{"1.0.0", "1.1.0", "2.0.0-rc.1"} {
		if _, err := reg.PushFiles("myorg/my-app", tag, map[string]string{"version": tag}, "", ""); err != nil {
			t.Fatal(err)
		}
	}

	step(t, "apply seed 002's ImageRepository my-app (ghcr.io/myorg/my-app, v1beta2) and ImagePolicy my-app (semver 1.x) as written")
	repo := seedObject(t, "ImageRepository", "my-app", ns)
	policy := seedObject(t, "ImagePolicy", "my-app", ns)
	apply(t, repo, policy)
	deleteOnCleanup(t, policy, repo)
	msg := waitNotReadyAny(t, repo)
	step(t, "the ImageRepository cannot reach ghcr.io from here: %s", msg)
	waitNotReady(t, policy, "DependencyNotReady", "has not been scanned yet")
	step(t, "the ImagePolicy waits for the repository's first scan")

	step(t, "point the ImageRepository at %s with a dockerconfigjson Secret", reg.Repo("myorg/my-app"))
	creds := secret(ns, "registry-credentials", map[string][]byte{corev1.DockerConfigJsonKey: reg.DockerConfigJSON("ci", "s3cret")})
	creds.Object["type"] = string(corev1.SecretTypeDockerConfigJson)
	apply(t, creds)
	deleteOnCleanup(t, creds)
	repo = repo.DeepCopy()
	g.Expect(unstructured.SetNestedField(repo.Object, reg.Repo("myorg/my-app"), "spec", "image")).To(Succeed())
	g.Expect(unstructured.SetNestedField(repo.Object, map[string]any{"name": "registry-credentials"}, "spec", "secretRef")).To(Succeed())
	apply(t, repo)
	waitReady(t, repo, func(g Gomega, cur *unstructured.Unstructured) {
		count, _, _ := unstructured.NestedInt64(cur.Object, "status", "lastScanResult", "tagCount")
		g.Expect(count).To(BeEquivalentTo(3))
	})
	step(t, "the ImageRepository found 3 tags")
	waitLatest(t, policy, reg.Repo("myorg/my-app"), "1.1.0")
	step(t, "the ImagePolicy elected 1.1.0 (not 2.0.0-rc.1: 1.x asks for no pre-release); v1beta2 latestImage %s:1.1.0", reg.Repo("myorg/my-app"))

	if _, err := reg.PushFiles("myorg/my-app", "1.2.0", map[string]string{"version": "1.2.0"}, "", ""); err != nil {
		t.Fatal(err)
	}
	step(t, "push 1.2.0 and request a reconcile of the ImageRepository")
	at := requestReconcile(t, repo)
	waitHandled(t, repo, at)
	waitLatest(t, policy, reg.Repo("myorg/my-app"), "1.2.0")
	step(t, "one scan later the ImagePolicy elected 1.2.0")

	out := kubectl(t, "", "get", "imagepolicies.v1beta2.image.toolkit.fluxcd.io", "my-app", "--namespace="+ns)
	g.Expect(out).To(MatchRegexp(`LATESTIMAGE\s+READY`))
	g.Expect(out).To(ContainSubstring(reg.Repo("myorg/my-app") + ":1.2.0"))
	step(t, "kubectl get of the v1beta2 ImagePolicy shows its LatestImage column as Flux's did:\n%s", out)
}

// waitNotReadyAny waits until o is Ready=False, whatever the reason, and returns the
// message.
func waitNotReadyAny(t testing.TB, o *unstructured.Unstructured) string {
	t.Helper()
	var msg string
	NewWithT(t).Eventually(func(g Gomega) {
		var status string
		status, _, msg = condition(get(g, o), "Ready")
		g.Expect(status).To(Equal("False"))
	}, timeout, interval).Should(Succeed())
	return msg
}

// waitLatest waits until the v1beta2 ImagePolicy o is Ready with status.latestImage
// image:tag (and v1's latestRef.tag).
func waitLatest(t testing.TB, o *unstructured.Unstructured, image, tag string) {
	t.Helper()
	waitReady(t, o, func(g Gomega, cur *unstructured.Unstructured) {
		latest, _, _ := unstructured.NestedString(cur.Object, "status", "latestImage")
		g.Expect(latest).To(Equal(image + ":" + tag))
		ref, _, _ := unstructured.NestedString(cur.Object, "status", "latestRef", "tag")
		g.Expect(ref).To(Equal(tag))
	})
}
