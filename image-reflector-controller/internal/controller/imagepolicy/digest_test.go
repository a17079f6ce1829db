package imagepolicy

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

func pushTag(t testing.TB, r *registry.Registry, repo, tag, content string) string {
	t.Helper()
	d, err := r.PushFiles(repo, tag, map[string]string{"content": content}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDigestReflection looks the elected tag's digest up in the registry, with the
// repository's credentials: never with Never; once per tag with IfNotPresent; every interval
// with Always, so that a tag pushed again is noticed.
func TestDigestReflection(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	d1 := pushTag(t, r, "app", "1.1.0", "first")
	ns := namespace(t)
	repo := newRepo(t, ns, "app", r.Repo("app"))
	scanned(t, repo, "1.0.0", "1.1.0")

	r.ResetCounts()
	never := waitTag(t, newPolicy(t, ns, "never", semver("app", "1.x")), "1.1.0")
	g.Expect(never.Status.LatestRef.Digest).To(BeEmpty())
	g.Expect(r.Counts().ManifestHeads).To(BeZero())

	once := semver("app", "1.x")
	once.DigestReflectionPolicy = imagev1.ReflectIfNotPresent
	obj := newPolicy(t, ns, "once", once)
	got := waitTag(t, obj, "1.1.0")
	g.Expect(got.Status.LatestRef.Digest).To(Equal(d1))
	g.Expect(r.Counts().ManifestHeads).To(Equal(int64(1)))
	statuscheck.RequestReconcile(t, suite.Env.Client, obj)
	g.Expect(r.Counts().ManifestHeads).To(Equal(int64(1)), "IfNotPresent looks a tag up once")

	always := semver("app", "1.x")
	always.DigestReflectionPolicy = imagev1.ReflectAlways
	always.Interval = &metav1.Duration{Duration: 2 * time.Second}
	obj = newPolicy(t, ns, "always", always)
	g.Expect(waitTag(t, obj, "1.1.0").Status.LatestRef.Digest).To(Equal(d1))
	d2 := pushTag(t, r, "app", "1.1.0", "pushed again")
	got = statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImagePolicy) {
		g.Expect(cur.Status.LatestRef.Digest).To(Equal(d2))
	})
	g.Expect(got.Status.ObservedPreviousRef.Digest).To(Equal(d1))
	g.Eventually(func() []string {
		return statuscheck.Events(t, suite.Env.Client, obj, imagev1.ImagePolicyKind, fluxmeta.SucceededReason)
	}, statuscheck.Timeout).Should(ContainElement(
		"Normal Succeeded: Latest image tag for '" + r.Repo("app") + "' updated from 1.1.0@" + d1 + " to 1.1.0@" + d2))
}

// TestDigestFailures: a digest the registry cannot give leaves the policy not Ready, saying
// why: credentials refused, or a tag gone since the scan.
func TestDigestFailures(t *testing.T) {
	locked := registry.New(t, registry.Options{Username: "flux", Password: "s3cret"})
	pushTag(t, locked, "app", "1.0.0", "x")
	open := registry.New(t, registry.Options{})
	ns := namespace(t)
	scanned(t, newRepo(t, ns, "locked", locked.Repo("app")), "1.0.0")
	scanned(t, newRepo(t, ns, "gone", open.Repo("app")), "1.0.0")
	spec := semver("locked", "*")
	spec.DigestReflectionPolicy = imagev1.ReflectIfNotPresent
	statuscheck.NotReady(t, suite.Env.Client, newPolicy(t, ns, "anonymous", spec), imagev1.AuthenticationFailedReason,
		"failed to resolve tag '1.0.0' of "+locked.Repo("app")+": authentication failed (HTTP 401)")
	spec.ImageRepositoryRef.Name = "gone"
	statuscheck.NotReady(t, suite.Env.Client, newPolicy(t, ns, "gone", spec), imagev1.ReadOperationFailedReason,
		"failed to resolve tag '1.0.0' of "+open.Repo("app")+": not found")
}

// TestSuspend: a suspended policy keeps its image while the repository's tags change;
// resumed, it follows them.
func TestSuspend(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	repo := newRepo(t, ns, "app", "127.0.0.1:1/app")
	scanned(t, repo, "1.0.0")
	obj := newPolicy(t, ns, "app", semver("app", "*"))
	waitTag(t, obj, "1.0.0")
	statuscheck.Update(t, suite.Env.Client, obj, func(p *imagev1.ImagePolicy) { p.Spec.Suspend = true })
	scanned(t, repo, "1.0.0", "2.0.0")
	g.Consistently(func() string {
		cur, err := statuscheck.Get(t.Context(), suite.Env.Client, obj)
		g.Expect(err).NotTo(HaveOccurred())
		return cur.Status.LatestRef.Tag
	}, 2*time.Second, 100*time.Millisecond).Should(Equal("1.0.0"))
	statuscheck.Update(t, suite.Env.Client, obj, func(p *imagev1.ImagePolicy) { p.Spec.Suspend = false })
	waitTag(t, obj, "2.0.0")
}
