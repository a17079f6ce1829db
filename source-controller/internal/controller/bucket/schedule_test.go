package bucket_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcetest "github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestSuspendAndInterval checks spec.suspend and spec.interval: a suspended Bucket lists and
// downloads nothing; resumed, it is Ready and then follows a changed object by itself after
// its interval; suspended again, it follows no more.
func TestSuspendAndInterval(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	name := newS3Bucket(t, s3, map[string]string{"a.yaml": "v1"})
	obj := newBucket(t, ns, name)
	obj.Spec.Suspend, obj.Spec.Interval = true, metav1.Duration{Duration: time.Second}
	bkt := create(t, obj)
	g.Consistently(func() int {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(bkt), obj)).To(Succeed())
		return len(obj.Status.Conditions)
	}, 2*time.Second, testenv.Interval).Should(BeZero())
	g.Expect(objectGets(name)).To(BeEmpty())

	statuscheck.Update(t, env.Client, bkt, func(o *sourcev1.Bucket) { o.Spec.Suspend = false })
	obj = statuscheck.Ready(t, env.Client, bkt)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "v1"}))
	_, err := s3.PutObject(ctx, name, "a.yaml", []byte("v2"))
	g.Expect(err).NotTo(HaveOccurred())
	first := obj.Status.Artifact.Revision
	obj = statuscheck.Wait(t, env.Client, bkt, func(g Gomega, o *sourcev1.Bucket) { g.Expect(o.Status.Artifact.Revision != first).To(BeTrue()) })
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "v2"}))

	statuscheck.Update(t, env.Client, bkt, func(o *sourcev1.Bucket) { o.Spec.Suspend = true })
	time.Sleep(2 * time.Second) // a reconcile already running ends
	_, err = s3.PutObject(ctx, name, "a.yaml", []byte("v3"))
	g.Expect(err).NotTo(HaveOccurred())
	stored := obj.Status.Artifact
	g.Consistently(func() string {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(bkt), obj)).To(Succeed())
		return obj.Status.Artifact.Revision
	}, 3*time.Second, testenv.Interval).Should(Equal(stored.Revision))
	g.Expect(objectGets(name)["a.yaml"]).To(Equal(2), "the suspended Bucket downloaded nothing more")
}

// TestTimeout bounds the listing and downloads by spec.timeout: an endpoint that never
// answers fails the reconcile after it, well before the default 60s.
func TestTimeout(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	obj := newBucket(t, ns, "any-bucket")
	obj.Spec.Endpoint = sourcetest.HangingAddr(t)
	obj.Spec.Timeout = &metav1.Duration{Duration: time.Second}
	bkt := create(t, obj)
	obj = statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "deadline exceeded")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}
