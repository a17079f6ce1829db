package bucket_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/s3server"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	bucketctrl "github.com/ferry-gitops/ferry/source-controller/internal/controller/bucket"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

var (
	env *testenv.Env
	// s3 is the plain-HTTP S3 server shared by the tests, reached through proxy so that
	// tests can count the objects the controller downloads.
	s3    *s3server.Server
	proxy *s3server.Proxy
	st    *storage.Storage
	// controller is the running controller.
	controller *ctrltest.Manager
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts the S3 server and its proxy, then the API server, the artifact storage and the
// controller, runs the tests and stops everything.
func run(m *testing.M) int {
	var err error
	if s3, err = s3server.Start(s3server.Options{}); err != nil {
		fmt.Fprintf(os.Stderr, "failed to start the S3 server: %v\n", err)
		return 1
	}
	defer func() { _ = s3.Stop() }()
	if proxy, err = s3server.NewProxy(s3); err != nil {
		fmt.Fprintf(os.Stderr, "failed to start the S3 proxy: %v\n", err)
		return 1
	}
	defer func() { _ = proxy.Close() }()
	return sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourcev1.Bucket{}},
		Register: bucketctrl.Setup,
		Started:  func(s *sourcetest.Suite) { env, st, controller = s.Env, s.Storage, s.Manager },
	})
}

// newS3Bucket creates a bucket named after the test in server and fills it.
func newS3Bucket(t *testing.T, server *s3server.Server, objects map[string]string) string {
	t.Helper()
	name := strings.Trim(unsafe(strings.ToLower(t.Name())), "-")
	if len(name) > 50 {
		name = strings.TrimRight(name[:50], "-")
	}
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%100000)
	ctx := context.Background()
	if err := server.CreateBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := server.PutObjects(ctx, name, objects); err != nil {
		t.Fatal(err)
	}
	return name
}

func unsafe(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, s)
}

// credentialsSecret creates a Secret with the S3 server's keys.
func credentialsSecret(t *testing.T, ns string, server *s3server.Server, secretKey string) string {
	t.Helper()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "s3-credentials-"},
		Data:       map[string][]byte{"accesskey": []byte(server.AccessKey), "secretkey": []byte(secretKey)},
	}
	if err := env.Client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	return secret.Name
}

// newBucket returns a Bucket of bucketName behind the counting proxy, with the server's
// credentials from a new Secret.
func newBucket(t *testing.T, ns, bucketName string) *sourcev1.Bucket {
	t.Helper()
	return &sourcev1.Bucket{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b"},
		Spec: sourcev1.BucketSpec{
			Provider:   sourcev1.BucketProviderGeneric,
			BucketName: bucketName,
			Endpoint:   proxy.Endpoint,
			Insecure:   true,
			Region:     s3.Region,
			SecretRef:  &fluxmeta.LocalObjectReference{Name: credentialsSecret(t, ns, s3, s3.SecretKey)},
			Interval:   metav1.Duration{Duration: time.Hour},
		},
	}
}

// readyBucket creates a namespace, an S3 bucket holding objects and a Bucket of it, waits
// until the Bucket is Ready and returns its key and the Bucket.
func readyBucket(t *testing.T, objects map[string]string) (client.ObjectKey, *sourcev1.Bucket) {
	t.Helper()
	ns := testenv.NewNamespace(t, env.Client)
	key := create(t, newBucket(t, ns, newS3Bucket(t, s3, objects)))
	return key, waitFor(t, key, ready)
}

// create creates obj and returns its key.
func create(t *testing.T, obj *sourcev1.Bucket) client.ObjectKey {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(obj)
}

// waitFor polls the Bucket until match accepts it, and returns it.
func waitFor(t *testing.T, key client.ObjectKey, match func(*sourcev1.Bucket) bool) *sourcev1.Bucket {
	t.Helper()
	g := NewWithT(t)
	obj := &sourcev1.Bucket{}
	g.Eventually(func() bool {
		if err := env.Client.Get(context.Background(), key, obj); err != nil {
			return false
		}
		return obj.Status.ObservedGeneration == obj.Generation && match(obj)
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), "Bucket %s never matched; status: %+v", key, &obj.Status)
	return obj
}

// ready matches a Bucket that is Ready=True.
func ready(obj *sourcev1.Bucket) bool { return conditions.IsReady(obj) }

// readyFalse matches a Bucket that is Ready=False with reason and a message containing msg.
func readyFalse(reason, msg string) func(*sourcev1.Bucket) bool {
	return func(obj *sourcev1.Bucket) bool {
		c := conditions.Get(obj, fluxmeta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason && strings.Contains(c.Message, msg)
	}
}

// checkInvariants fails the test when the object's conditions break a kstatus rule.
func checkInvariants(t *testing.T, obj *sourcev1.Bucket) {
	t.Helper()
	if err := conditions.CheckInvariants(obj); err != nil {
		t.Fatalf("kstatus invariants: %v; conditions: %+v", err, obj.Status.Conditions)
	}
}

// requestReconcile sets the requestedAt annotation and waits until it was handled.
func requestReconcile(t *testing.T, key client.ObjectKey) *sourcev1.Bucket {
	t.Helper()
	obj := &sourcev1.Bucket{}
	if err := env.Client.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	token := time.Now().Format(time.RFC3339Nano)
	patch := client.MergeFrom(obj.DeepCopy())
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[fluxmeta.ReconcileRequestAnnotation] = token
	if err := env.Client.Patch(context.Background(), obj, patch); err != nil {
		t.Fatal(err)
	}
	return waitFor(t, key, func(o *sourcev1.Bucket) bool { return o.Status.LastHandledReconcileAt == token })
}

// artifactFiles extracts the artifact from the storage and returns its files' contents.
func artifactFiles(t *testing.T, a *fluxmeta.Artifact) map[string]string {
	t.Helper()
	if a == nil {
		t.Fatal("no artifact")
	}
	f, err := os.Open(filepath.Join(st.Path(), filepath.FromSlash(a.Path)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	if err := artifact.Extract(f, dir, artifact.Limits{}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// events returns the reasons and messages of the events recorded for the Bucket.
func events(t *testing.T, key client.ObjectKey) []string {
	t.Helper()
	var list corev1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(key.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == sourcev1.BucketKind && e.InvolvedObject.Name == key.Name {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}
