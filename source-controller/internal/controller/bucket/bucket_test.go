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
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/s3server"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	bucketctrl "github.com/ferry-gitops/ferry/source-controller/internal/controller/bucket"
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
	key := create(t, newBucket(t, ns, name))

	obj := waitFor(t, key, ready)
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
	g.Eventually(func() []string { return events(t, key) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(HavePrefix(sourcev1.NewArtifactEventReason + ": stored artifact with 3 object(s)")))
	checkInvariants(t, obj)

	// An unchanged bucket: the listing is read, no object is downloaded.
	before := objectGets(name)
	g.Expect(before).To(HaveLen(3))
	obj = requestReconcile(t, key)
	g.Expect(objectGets(name)).To(Equal(before), "an unchanged bucket must not be downloaded again")
	g.Expect(obj.Status.Artifact).To(Equal(first))
	g.Expect(conditions.IsReady(obj)).To(BeTrue())
	checkInvariants(t, obj)

	// A changed object: a new artifact, and only that object downloaded again.
	_, err = s3.PutObject(ctx, name, "app/deploy.yaml", []byte("v2"))
	g.Expect(err).NotTo(HaveOccurred())
	obj = requestReconcile(t, key)
	g.Expect(obj.Status.Artifact.Revision).NotTo(Equal(first.Revision))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(HaveKeyWithValue("app/deploy.yaml", "v2"))
	after := objectGets(name)
	g.Expect(after["app/deploy.yaml"]).To(Equal(before["app/deploy.yaml"] + 1))
	g.Expect(after["app/svc.yaml"]).To(Equal(before["app/svc.yaml"]), "unchanged objects must not be downloaded again")
	g.Expect(conditions.Get(obj, sourcev1.ArtifactOutdatedCondition)).To(BeNil())
	checkInvariants(t, obj)

	// Two more changes: only the last two artifacts stay in the storage.
	for _, v := range []string{"v3", "v4"} {
		_, err = s3.PutObject(ctx, name, "app/deploy.yaml", []byte(v))
		g.Expect(err).NotTo(HaveOccurred())
		obj = requestReconcile(t, key)
	}
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(HaveKeyWithValue("app/deploy.yaml", "v4"))
	paths, err := st.List(sourcev1.BucketKind, key.Namespace, key.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(paths).To(HaveLen(2))
	g.Expect(paths).To(ContainElement(obj.Status.Artifact.Path))
	checkInvariants(t, obj)
}

func TestRestartedControllerDoesNotRefetch(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	key, obj := readyBucket(t, map[string]string{"a.yaml": "a", "b.yaml": "b"})
	stored := obj.Status.Artifact
	before := objectGets(obj.Spec.BucketName)

	// A Reconciler with nothing in memory, as in a restarted controller, on the same
	// storage. The suite's controller does not react to the status it writes.
	restarted := bucketctrl.NewReconciler(controller.Runtime, st)
	_, err := restarted.Reconcile(ctx, ctrl.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Get(ctx, key, obj)).To(Succeed())
	g.Expect(objectGets(obj.Spec.BucketName)).To(Equal(before), "an unchanged bucket must not be downloaded after a restart")
	g.Expect(obj.Status.Artifact).To(Equal(stored))
	g.Expect(conditions.IsReady(obj)).To(BeTrue())
	checkInvariants(t, obj)

	// With nothing remembered, a change downloads every object again, and the artifact is
	// the same as the one built from scratch.
	_, err = s3.PutObject(ctx, obj.Spec.BucketName, "a.yaml", []byte("a2"))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = restarted.Reconcile(ctx, ctrl.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Get(ctx, key, obj)).To(Succeed())
	g.Expect(objectGets(obj.Spec.BucketName)).To(Equal(map[string]int{"a.yaml": before["a.yaml"] + 1, "b.yaml": before["b.yaml"] + 1}))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a2", "b.yaml": "b"}))
	checkInvariants(t, obj)
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
	key := create(t, obj)

	obj = waitFor(t, key, ready)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"apps/a.yaml": "a"}))
	g.Expect(obj.Status.ObservedIgnore).To(Equal(&ignore))
	checkInvariants(t, obj)
}

// readyTLSBucket starts an S3 server with opts, creates a Bucket of it whose
// certSecretRef holds the server's CA and, when it has one, client certificate, waits until
// it is Ready and checks its artifact.
func readyTLSBucket(t *testing.T, opts s3server.Options) (*s3server.Server, client.ObjectKey, *sourcev1.Bucket) {
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
	key := create(t, obj)
	obj = waitFor(t, key, ready)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	checkInvariants(t, obj)
	return server, key, obj
}

func TestTLSWithCA(t *testing.T) {
	g := NewWithT(t)
	_, key, obj := readyTLSBucket(t, s3server.Options{TLS: true})

	// Without the CA the server's certificate is not trusted.
	obj.Spec.CertSecretRef = nil
	g.Expect(env.Client.Update(context.Background(), obj)).To(Succeed())
	obj = waitFor(t, key, readyFalse(sourcev1.BucketOperationFailedReason, "certificate"))
	g.Expect(obj.Status.Artifact).NotTo(BeNil(), "the last good artifact stays")
	checkInvariants(t, obj)
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
	key := create(t, obj)
	obj = waitFor(t, key, ready)
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	checkInvariants(t, obj)
}

func TestArtifactVanishedFromDisk(t *testing.T) {
	g := NewWithT(t)
	key, obj := readyBucket(t, map[string]string{"a.yaml": "a"})
	path := filepath.Join(st.Path(), filepath.FromSlash(obj.Status.Artifact.Path))

	// With the bucket reachable, the artifact is fetched again.
	g.Expect(os.Remove(path)).To(Succeed())
	obj = requestReconcile(t, key)
	g.Expect(conditions.IsReady(obj)).To(BeTrue())
	g.Expect(st.Exists(*obj.Status.Artifact)).To(BeTrue())
	checkInvariants(t, obj)

	// With the bucket unreachable, the failure says the artifact is gone.
	obj.Spec.Endpoint = sourcetest.ClosedAddr(t)
	g.Expect(env.Client.Update(context.Background(), obj)).To(Succeed())
	obj = waitFor(t, key, readyFalse(sourcev1.BucketOperationFailedReason, "connection refused"))
	g.Expect(os.Remove(filepath.Join(st.Path(), filepath.FromSlash(obj.Status.Artifact.Path)))).To(Succeed())
	obj = requestReconcile(t, key)
	// The reconcile that finds the file gone says so; a back-off retry may have been first,
	// so look for it among the warnings rather than in the last status.
	g.Eventually(func() []string { return events(t, key) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(ContainSubstring("the artifact vanished from storage")))
	g.Expect(readyFalse(sourcev1.BucketOperationFailedReason, "connection refused")(obj)).To(BeTrue(),
		"Ready: %+v", conditions.Get(obj, fluxmeta.ReadyCondition))
	g.Expect(obj.Status.Artifact).To(BeNil())
	checkInvariants(t, obj)
}

func TestDeletionRemovesArtifacts(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	key, obj := readyBucket(t, map[string]string{"a.yaml": "a"})
	g.Expect(obj.Finalizers).To(ContainElement(sourcev1.SourceFinalizer))
	checkInvariants(t, obj)

	g.Expect(env.Client.Delete(ctx, obj)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, key, &sourcev1.Bucket{}))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	paths, err := st.List(sourcev1.BucketKind, key.Namespace, key.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(paths).To(BeEmpty())
}
