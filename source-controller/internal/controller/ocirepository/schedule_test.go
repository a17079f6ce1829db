package ocirepository

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestSuspendAndInterval checks spec.suspend and spec.interval: a suspended OCIRepository asks
// nothing of the registry; resumed, it is Ready and then follows a new push by itself after
// its interval; suspended again, it follows no more.
func TestSuspendAndInterval(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	d1 := pushFiles(t, r, "app", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	r.ResetCounts()
	obj := newRepo(t, ns, "app", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"), Suspend: true,
		Interval: metav1.Duration{Duration: time.Second}})
	g.Consistently(func() int { return len(get(t, obj).Status.Conditions) }, 2*time.Second, testenv.Interval).Should(BeZero())
	g.Expect(r.Counts()).To(Equal(registry.Counts{}))

	got := statuscheck.Ready(t, env.Client, statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Suspend = false }))
	g.Expect(got.Status.Artifact.Revision).To(Equal("latest@" + d1))
	d2 := pushFiles(t, r, "app", "latest", map[string]string{"deploy/app.yaml": "kind: Secret\n"})
	got = statuscheck.Wait(t, env.Client, obj, func(g Gomega, o *sourcev1.OCIRepository) {
		g.Expect(o.Status.Artifact.Revision == "latest@"+d2).To(BeTrue())
	})

	statuscheck.Update(t, env.Client, obj, func(o *sourcev1.OCIRepository) { o.Spec.Suspend = true })
	time.Sleep(2 * time.Second) // a reconcile already running ends
	pushFiles(t, r, "app", "latest", map[string]string{"third": "3"})
	r.ResetCounts()
	g.Consistently(func() registry.Counts { return r.Counts() }, 3*time.Second, testenv.Interval).Should(Equal(registry.Counts{}))
	g.Expect(get(t, obj).Status.Artifact).To(Equal(got.Status.Artifact))
}

// TestTimeout bounds the registry operations by spec.timeout: a registry that never answers
// fails the reconcile after it, well before the default 60s.
func TestTimeout(t *testing.T) {
	g := NewWithT(t)
	obj := newRepo(t, testenv.NewNamespace(t, env.Client), "hanging", sourcev1.OCIRepositorySpec{
		URL: "oci://" + sourcetest.HangingAddr(t) + "/app", Timeout: &metav1.Duration{Duration: time.Second}})
	got := waitFailed(t, obj, sourcev1.OCIPullFailedReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("deadline exceeded"))
}
