package helmrepository_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestSuspendAndInterval checks spec.suspend and spec.interval: a suspended HelmRepository
// fetches nothing; resumed, it is Ready and then follows a new chart version by itself after
// its interval; suspended again, it fetches no more.
func TestSuspendAndInterval(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	srv := newServer(t, helmrepo.Options{}, "1.0.0")
	obj := newRepository(ns, "repo", srv.URL(), func(o *sourcev1.HelmRepository) {
		o.Spec.Suspend, o.Spec.Interval = true, metav1.Duration{Duration: time.Second}
	})
	g.Expect(env.Client.Create(context.Background(), obj)).To(Succeed())
	g.Consistently(srv.Requests, 2*time.Second, testenv.Interval).Should(BeZero())

	statuscheck.Update(t, env.Client, obj, func(o *sourcev1.HelmRepository) { o.Spec.Suspend = false })
	first := sourcetest.ReadyWith(t, env.Client, obj, fluxmeta.SucceededReason).Status.Artifact
	addVersions(t, srv, "1.1.0")
	got := statuscheck.Wait(t, env.Client, obj, func(g Gomega, o *sourcev1.HelmRepository) {
		g.Expect(o.Status.Artifact.Revision != first.Revision).To(BeTrue())
	})

	statuscheck.Update(t, env.Client, obj, func(o *sourcev1.HelmRepository) { o.Spec.Suspend = true })
	time.Sleep(2 * time.Second) // a reconcile already running ends
	before := srv.Requests()
	addVersions(t, srv, "1.2.0")
	g.Consistently(srv.Requests, 3*time.Second, testenv.Interval).Should(Equal(before))
	g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	g.Expect(obj.Status.Artifact).To(Equal(got.Status.Artifact))
}

// TestTimeout bounds the index fetch by spec.timeout: a server that never answers fails the
// reconcile after it, well before the default 60s.
func TestTimeout(t *testing.T) {
	g := NewWithT(t)
	obj := newRepository(testenv.NewNamespace(t, env.Client), "hanging", "http://"+sourcetest.HangingAddr(t), func(o *sourcev1.HelmRepository) {
		o.Spec.Timeout = &metav1.Duration{Duration: time.Second}
	})
	g.Expect(env.Client.Create(context.Background(), obj)).To(Succeed())
	got := statuscheck.NotReady(t, env.Client, obj, sourcev1.IndexationFailedReason, "")
	failedFetch(g, got, sourcev1.IndexationFailedReason, "failed to fetch index")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Or(ContainSubstring("deadline exceeded"), ContainSubstring("Timeout")))
}
