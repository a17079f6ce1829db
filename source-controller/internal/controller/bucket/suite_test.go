package bucket_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/s3server"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
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
	suite *sourcetest.Suite
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts the S3 server and its proxy, then the API server, the artifact storage and the
// controller (feature gate ObjectLevelWorkloadIdentity on), runs the tests and stops
// everything.
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
		Args:     []string{"--feature-gates=" + cloud.ObjectLevelWorkloadIdentity + "=true"},
		Started:  func(s *sourcetest.Suite) { env, st, suite = s.Env, s.Storage, s },
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
// until the Bucket is Ready and returns it as created and as Ready.
func readyBucket(t *testing.T, objects map[string]string) (*sourcev1.Bucket, *sourcev1.Bucket) {
	t.Helper()
	ns := testenv.NewNamespace(t, env.Client)
	bkt := create(t, newBucket(t, ns, newS3Bucket(t, s3, objects)))
	return bkt, statuscheck.Ready(t, env.Client, bkt)
}

// create creates obj and returns it.
func create(t *testing.T, obj *sourcev1.Bucket) *sourcev1.Bucket {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	return obj
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
