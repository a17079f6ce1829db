package bucket_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/s3server"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	sourcetest "github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// objectGets counts the downloads of the bucket's objects, leaving out the ignore file that
// every listing reads.
func objectGets(bucketName string) map[string]int {
	gets := proxy.Gets(bucketName)
	delete(gets, ".sourceignore")
	return gets
}

func TestArtifactFollowsTheBucket(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	name := newS3Bucket(t, s3, map[string]string{"app/deploy.yaml": "v1", "app/svc.yaml": "svc", "README.md": "readme"})
	bkt := create(t, newBucket(t, ns, name))

	obj := statuscheck.Ready(t, env.Client, bkt)
	first := obj.Status.Artifact
	g.Expect(first).NotTo(BeNil())
	g.Expect(first.Revision).To(HavePrefix("sha256:"))
	g.Expect(first.Digest).To(HavePrefix("sha256:"))
	g.Expect(obj.Status.URL).To(Equal(first.URL))
	g.Expect(artifactFiles(t, first)).To(Equal(map[string]string{"app/deploy.yaml": "v1", "app/svc.yaml": "svc", "README.md": "readme"}))
	g.Expect(conditions.IsTrue(obj, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	resp, err := http.Get(first.URL)
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Eventually(func() []string { return statuscheck.Events(t, env.Client, bkt, sourcev1.BucketKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(HavePrefix("Normal " + sourcev1.NewArtifactEventReason + ": stored artifact with 3 object(s)")))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	// An unchanged bucket: the listing is read, no object is downloaded.
	before := objectGets(name)
	g.Expect(before).To(HaveLen(3))
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(objectGets(name)).To(Equal(before), "an unchanged bucket must not be downloaded again")
	g.Expect(obj.Status.Artifact).To(Equal(first))
	g.Expect(conditions.IsReady(obj)).To(BeTrue())
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	// A changed object: a new artifact, and only that object downloaded again.
	_, err = s3.PutObject(ctx, name, "app/deploy.yaml", []byte("v2"))
	g.Expect(err).NotTo(HaveOccurred())
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(obj.Status.Artifact.Revision).NotTo(Equal(first.Revision))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(HaveKeyWithValue("app/deploy.yaml", "v2"))
	after := objectGets(name)
	g.Expect(after["app/deploy.yaml"]).To(Equal(before["app/deploy.yaml"] + 1))
	g.Expect(after["app/svc.yaml"]).To(Equal(before["app/svc.yaml"]), "unchanged objects must not be downloaded again")
	g.Expect(conditions.Get(obj, sourcev1.ArtifactOutdatedCondition)).To(BeNil())
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	// Two more changes: only the last two artifacts stay in the storage.
	for _, v := range []string{"v3", "v4"} {
		_, err = s3.PutObject(ctx, name, "app/deploy.yaml", []byte(v))
		g.Expect(err).NotTo(HaveOccurred())
		obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	}
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(HaveKeyWithValue("app/deploy.yaml", "v4"))
	paths, err := st.List(sourcev1.BucketKind, bkt.Namespace, bkt.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(paths).To(HaveLen(2))
	g.Expect(paths).To(ContainElement(obj.Status.Artifact.Path))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

// TestRestartedControllerDoesNotRefetch restarts the controller on the same storage with a
// new advertised address and nothing in memory: the stored artifact is found again and served
// at the new address without a download, a change downloads every object again, and a file
// that vanished is fetched again.
func TestRestartedControllerDoesNotRefetch(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	bkt, obj := readyBucket(t, map[string]string{"a.yaml": "a", "b.yaml": "b"})
	stored := obj.Status.Artifact
	before := objectGets(obj.Spec.BucketName)

	addr := suite.Restart(t)
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(objectGets(obj.Spec.BucketName)).To(Equal(before), "an unchanged bucket must not be downloaded after a restart")
	sourcetest.CheckRestamped(t, stored, obj.Status.Artifact, addr)
	g.Expect(obj.Status.URL).To(Equal(obj.Status.Artifact.URL))
	g.Expect(conditions.IsReady(obj)).To(BeTrue())

	// With nothing remembered, a change downloads every object again, and the artifact is
	// the same as the one built from scratch.
	_, err := s3.PutObject(ctx, obj.Spec.BucketName, "a.yaml", []byte("a2"))
	g.Expect(err).NotTo(HaveOccurred())
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(objectGets(obj.Spec.BucketName)).To(Equal(map[string]int{"a.yaml": before["a.yaml"] + 1, "b.yaml": before["b.yaml"] + 1}))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a2", "b.yaml": "b"}))

	// A vanished file is fetched again and served at the new address.
	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(obj.Status.Artifact.Path)))).To(Succeed())
	again := statuscheck.RequestReconcile(t, env.Client, bkt)
	sourcetest.CheckStoredAgain(t, obj.Status.Artifact, again.Status.Artifact, addr)
	g.Expect(again.Status.URL).To(Equal(again.Status.Artifact.URL))
	g.Expect(conditions.IsTrue(again, sourcev1.ArtifactInStorageCondition)).To(BeTrue())
	g.Expect(artifactFiles(t, again.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a2", "b.yaml": "b"}))
}

func TestPrefixAndIgnore(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	name := newS3Bucket(t, s3, map[string]string{
		".sourceignore":       "*.md\n",
		"apps/a.yaml":         "a",
		"apps/README.md":      "readme",
		"apps/tmp/scratch.db": "x",
		"infra/b.yaml":        "b",
	})
	obj := newBucket(t, ns, name)
	obj.Spec.Prefix = "apps/"
	ignore := "tmp/\n"
	obj.Spec.Ignore = &ignore
	bkt := create(t, obj)

	obj = statuscheck.Ready(t, env.Client, bkt)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"apps/a.yaml": "a"}))
	g.Expect(obj.Status.ObservedIgnore).To(Equal(&ignore))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

// readyTLSBucket starts an S3 server with opts, creates a Bucket of it whose
// certSecretRef holds the server's CA and, when it has one, client certificate, waits until
// it is Ready and checks its artifact.
func readyTLSBucket(t *testing.T, opts s3server.Options) (*s3server.Server, *sourcev1.Bucket, *sourcev1.Bucket) {
	t.Helper()
	g := NewWithT(t)
	server, err := s3server.Start(opts)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = server.Stop() })
	ns := testenv.NewNamespace(t, env.Client)
	certs := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "certs"}, Data: map[string][]byte{"ca.crt": server.CA}}
	if server.ClientCert != nil {
		certs.Type = corev1.SecretTypeTLS
		certs.Data["tls.crt"], certs.Data["tls.key"] = server.ClientCert, server.ClientKey
	}
	g.Expect(env.Client.Create(context.Background(), certs)).To(Succeed())
	obj := &sourcev1.Bucket{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tls"},
		Spec: sourcev1.BucketSpec{
			BucketName:    newS3Bucket(t, server, map[string]string{"a.yaml": "a"}),
			Endpoint:      server.Endpoint,
			Region:        server.Region,
			SecretRef:     &fluxmeta.LocalObjectReference{Name: credentialsSecret(t, ns, server, server.SecretKey)},
			CertSecretRef: &fluxmeta.LocalObjectReference{Name: certs.Name},
			Interval:      metav1.Duration{Duration: time.Hour},
		},
	}
	bkt := create(t, obj)
	obj = statuscheck.Ready(t, env.Client, bkt)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
	return server, bkt, obj
}

func TestTLSWithCA(t *testing.T) {
	g := NewWithT(t)
	_, bkt, obj := readyTLSBucket(t, s3server.Options{TLS: true})

	// Without the CA the server's certificate is not trusted.
	obj.Spec.CertSecretRef = nil
	g.Expect(env.Client.Update(context.Background(), obj)).To(Succeed())
	obj = statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "certificate")
	g.Expect(obj.Status.Artifact).NotTo(BeNil(), "the last good artifact stays")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestMutualTLS(t *testing.T) {
	readyTLSBucket(t, s3server.Options{MutualTLS: true})
}

func TestAWSProviderWithStaticKeys(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	name := newS3Bucket(t, s3, map[string]string{"a.yaml": "a"})
	obj := newBucket(t, ns, name)
	obj.Spec.Provider = sourcev1.BucketProviderAmazon
	bkt := create(t, obj)
	obj = statuscheck.Ready(t, env.Client, bkt)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestArtifactVanishedFromDisk(t *testing.T) {
	g := NewWithT(t)
	bkt, obj := readyBucket(t, map[string]string{"a.yaml": "a"})
	path := filepath.Join(st.Path(), filepath.FromSlash(obj.Status.Artifact.Path))

	// With the bucket reachable, the artifact is fetched again.
	g.Expect(os.Remove(path)).To(Succeed())
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	g.Expect(conditions.IsReady(obj)).To(BeTrue())
	g.Expect(st.Exists(*obj.Status.Artifact)).To(BeTrue())
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	// With the bucket unreachable, the failure says the artifact is gone.
	obj.Spec.Endpoint = sourcetest.ClosedAddr(t)
	g.Expect(env.Client.Update(context.Background(), obj)).To(Succeed())
	obj = statuscheck.NotReady(t, env.Client, bkt, sourcev1.BucketOperationFailedReason, "connection refused")
	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(obj.Status.Artifact.Path)))).To(Succeed())
	obj = statuscheck.RequestReconcile(t, env.Client, bkt)
	// The reconcile that finds the file gone says so; a back-off retry may have been first,
	// so look for it among the warnings rather than in the last status.
	g.Eventually(func() []string { return statuscheck.Events(t, env.Client, bkt, sourcev1.BucketKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("the artifact vanished from storage")))
	ready := conditions.Get(obj, fluxmeta.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse), "Ready: %+v", ready)
	g.Expect(ready.Reason).To(Equal(sourcev1.BucketOperationFailedReason), "Ready: %+v", ready)
	g.Expect(ready.Message).To(ContainSubstring("connection refused"), "Ready: %+v", ready)
	g.Expect(obj.Status.Artifact).To(BeNil())
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

func TestDeletionRemovesArtifacts(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	bkt, obj := readyBucket(t, map[string]string{"a.yaml": "a"})
	g.Expect(obj.Finalizers).To(ContainElement(sourcev1.SourceFinalizer))
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())

	g.Expect(env.Client.Delete(ctx, obj)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(bkt), &sourcev1.Bucket{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	paths, err := st.List(sourcev1.BucketKind, bkt.Namespace, bkt.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(paths).To(BeEmpty())
}
