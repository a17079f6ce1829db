package imagerepository

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/httpproxy"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

func push(t testing.TB, r *registry.Registry, repo string, tags ...string) {
	t.Helper()
	for _, tag := range tags {
		if _, err := r.PushFiles(repo, tag, map[string]string{"tag": tag}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScanWithAuthAndTLS scans a registry behind basic auth and mutual TLS with a
// dockerconfigjson Secret and a certSecretRef, leaves out the cosign signature by the
// default exclusion list, reports the scan as Flux does, and tells of a new set of tags (and
// only of a new one) with an event.
func TestScanWithAuthAndTLS(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{Username: "flux", Password: "s3cret", MutualTLS: true})
	push(t, r, "org/app", "1.0.0", "1.1.0", "2.0.0-rc.1", "sha256-abc.sig")
	ns := namespace(t)
	newSecret(t, ns, "creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "s3cret")})
	newSecret(t, ns, "tls", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": r.CACert, "tls.crt": r.ClientCert, "tls.key": r.ClientKey})
	obj := newRepo(t, ns, "app", imagev1.ImageRepositorySpec{Image: r.Repo("org/app"),
		SecretRef: &fluxmeta.LocalObjectReference{Name: "creds"}, CertSecretRef: &fluxmeta.LocalObjectReference{Name: "tls"}})

	got := statuscheck.Ready(t, suite.Env.Client, obj)
	g.Expect(got.Status.CanonicalImageName).To(Equal(r.Repo("org/app")))
	g.Expect(got.Status.ObservedExclusionList).To(Equal([]string{imagev1.DefaultExclusionPattern}))
	res := got.Status.LastScanResult
	g.Expect(res).NotTo(BeNil())
	g.Expect(res.TagCount).To(Equal(3))
	g.Expect(res.LatestTags).To(Equal([]string{"2.0.0-rc.1", "1.1.0", "1.0.0"}))
	g.Expect(res.Revision).To(Equal(tagstore.Revision([]string{"1.0.0", "1.1.0", "2.0.0-rc.1"})))
	g.Expect(res.ScanTime.IsZero()).To(BeFalse())
	g.Expect(suite.Store.Tags(ns, "app", res.Revision)).To(Equal([]string{"1.0.0", "1.1.0", "2.0.0-rc.1"}))
	g.Expect(conditionMessage(got)).To(Equal("successful scan: found 3 tags"))

	r.ResetCounts()
	statuscheck.RequestReconcile(t, suite.Env.Client, obj)
	g.Expect(r.Counts().TagLists).To(Equal(int64(1)), "a requested reconcile scans")
	push(t, r, "org/app", "1.2.0")
	got = statuscheck.RequestReconcile(t, suite.Env.Client, obj)
	g.Expect(got.Status.LastScanResult.TagCount).To(Equal(4))
	g.Eventually(func() []string {
		return statuscheck.Events(t, suite.Env.Client, obj, imagev1.ImageRepositoryKind, fluxmeta.SucceededReason)
	}, statuscheck.Timeout).Should(Equal([]string{
		"Normal Succeeded: successful scan: found 3 tags", "Normal Succeeded: successful scan: found 4 tags"}))
}

// TestScanWithServiceAccount uses the image pull secrets of spec.serviceAccountName.
func TestScanWithServiceAccount(t *testing.T) {
	r := registry.New(t, registry.Options{Username: "flux", Password: "s3cret"})
	push(t, r, "app", "v1")
	ns := namespace(t)
	newSecret(t, ns, "pull", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "s3cret")})
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "puller", Namespace: ns},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}
	NewWithT(t).Expect(suite.Env.Client.Create(context.Background(), sa)).To(Succeed())
	obj := newRepo(t, ns, "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), ServiceAccountName: "puller", Provider: imagev1.GenericProvider})
	got := statuscheck.Ready(t, suite.Env.Client, obj)
	NewWithT(t).Expect(got.Status.LastScanResult.TagCount).To(Equal(1))
}

// TestExclusionListAndPages leaves out the tags spec.exclusionList matches, lists a
// registry that pages its tags, and scans again when the exclusion list changes.
func TestExclusionListAndPages(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{TagsPageSize: 3})
	var tags []string
	for i := range 8 {
		tags = append(tags, fmt.Sprintf("1.0.%d", i), fmt.Sprintf("dev-%d", i))
	}
	push(t, r, "app", tags...)
	ns := namespace(t)
	r.ResetCounts()
	obj := newRepo(t, ns, "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true, ExclusionList: []string{"^dev-"}})
	got := statuscheck.Ready(t, suite.Env.Client, obj)
	g.Expect(got.Status.LastScanResult.TagCount).To(Equal(8))
	g.Expect(got.Status.ObservedExclusionList).To(Equal([]string{"^dev-"}))
	g.Expect(r.Counts().TagLists).To(Equal(int64(6)), "16 tags in pages of 3")

	got = statuscheck.Update(t, suite.Env.Client, obj, func(o *imagev1.ImageRepository) { o.Spec.ExclusionList = []string{`^1\.0\.[0-3]$`} })
	got = statuscheck.Wait(t, suite.Env.Client, got, func(g Gomega, cur *imagev1.ImageRepository) {
		g.Expect(cur.Status.LastScanResult.TagCount).To(Equal(12))
	})
	g.Expect(got.Status.ObservedExclusionList).To(Equal([]string{`^1\.0\.[0-3]$`}))
}

// TestRetryAfter: a registry asking for a short wait is waited for within the scan; one
// asking for a long wait leaves the repository not Ready saying so, with the last scan
// result kept.
func TestRetryAfter(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0")
	ns := namespace(t)
	r.Throttle(1, http.StatusTooManyRequests, "1")
	obj := newRepo(t, ns, "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true})
	before := statuscheck.Ready(t, suite.Env.Client, obj)
	g.Expect(r.Throttled()).To(BeZero())

	push(t, r, "app", "1.1.0")
	r.Throttle(1, http.StatusTooManyRequests, "120")
	statuscheck.Update(t, suite.Env.Client, obj, func(o *imagev1.ImageRepository) {
		o.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: "now"}
	})
	got := statuscheck.NotReady(t, suite.Env.Client, obj, imagev1.ReadOperationFailedReason,
		"rate limit was reached (HTTP 429): it asks to retry after 2m0s")
	g.Expect(got.Status.LastScanResult).To(Equal(before.Status.LastScanResult), "the last scan result is kept")
}

// TestTimeout bounds a scan by spec.timeout against a registry that never answers.
func TestTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { <-req.Context().Done() }))
	t.Cleanup(hang.Close)
	obj := newRepo(t, namespace(t), "app", imagev1.ImageRepositorySpec{Image: hang.Listener.Addr().String() + "/app",
		Insecure: true, Timeout: &metav1.Duration{Duration: time.Second}})
	statuscheck.NotReady(t, suite.Env.Client, obj, imagev1.ReadOperationFailedReason, "timeout")
}

// TestProxy scans through the proxy spec.proxySecretRef names, with its credentials.
func TestProxy(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0")
	proxy := httpproxy.New(t)
	ns := namespace(t)
	newSecret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(proxy.URL()), "username": []byte("u"), "password": []byte("p")})
	obj := newRepo(t, ns, "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true, ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}})
	statuscheck.Ready(t, suite.Env.Client, obj)
	g.Expect(proxy.Forwarded()).To(BeNumerically(">=", 2), "ping and tag list go through the proxy")
	g.Expect(proxy.LastAuthorization()).To(HavePrefix("Basic "))
}

// TestSuspend: a suspended repository is not scanned, even when asked; resumed, it is.
func TestSuspend(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0")
	obj := newRepo(t, namespace(t), "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true})
	statuscheck.Ready(t, suite.Env.Client, obj)
	statuscheck.Update(t, suite.Env.Client, obj, func(o *imagev1.ImageRepository) { o.Spec.Suspend = true })
	push(t, r, "app", "1.1.0")
	r.ResetCounts()
	statuscheck.Update(t, suite.Env.Client, obj, func(o *imagev1.ImageRepository) {
		o.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: "while-suspended"}
	})
	g.Consistently(func() int64 { return r.Counts().TagLists }, 2*time.Second, 100*time.Millisecond).Should(BeZero())
	statuscheck.Update(t, suite.Env.Client, obj, func(o *imagev1.ImageRepository) { o.Spec.Suspend = false })
	got := statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImageRepository) {
		g.Expect(cur.Status.LastScanResult.TagCount).To(Equal(2))
	})
	g.Expect(got.Status.LastHandledReconcileAt).To(Equal("while-suspended"))
}

// TestRescanWhenIntervalElapses scans again on its own once spec.interval has passed.
func TestRescanWhenIntervalElapses(t *testing.T) {
	r := registry.New(t, registry.Options{})
	push(t, r, "app", "1.0.0")
	obj := newRepo(t, namespace(t), "app", imagev1.ImageRepositorySpec{Image: r.Repo("app"), Insecure: true, Interval: metav1.Duration{Duration: 2 * time.Second}})
	statuscheck.Ready(t, suite.Env.Client, obj)
	push(t, r, "app", "1.1.0")
	statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImageRepository) {
		g.Expect(cur.Status.LastScanResult.TagCount).To(Equal(2))
	})
}

func conditionMessage(obj *imagev1.ImageRepository) string {
	for _, c := range obj.Status.Conditions {
		if c.Type == fluxmeta.ReadyCondition {
			return c.Message
		}
	}
	return ""
}
