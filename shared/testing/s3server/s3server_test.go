package s3server_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ferry-gitops/ferry/shared/testing/s3server"
)

func start(t *testing.T, opts s3server.Options) *s3server.Server {
	t.Helper()
	s, err := s3server.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestObjectsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := start(t, s3server.Options{})
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObjects(ctx, "bkt", map[string]string{"a.yaml": "a", "dir/b.yaml": "bkt"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, "bkt", "a.yaml"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for o := range s.Client.ListObjects(ctx, "bkt", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key+"="+o.ETag)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "dir/b.yaml=") {
		t.Fatalf("listing = %v, want dir/b.yaml only", keys)
	}
	obj, err := s.Client.GetObject(ctx, "bkt", "dir/b.yaml", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	if err != nil || string(data) != "bkt" {
		t.Fatalf("content = %q, %v; want %q", data, err, "bkt")
	}
}

func TestWrongCredentialsAreRejected(t *testing.T) {
	ctx := context.Background()
	s := start(t, s3server.Options{AccessKey: "right", SecretKey: "right-secret"})
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4("right", "wrong-secret", ""), Region: s.Region})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BucketExists(ctx, "bkt"); err == nil {
		t.Fatal("BucketExists with a wrong secret succeeded")
	}
}

func TestTLS(t *testing.T) {
	ctx := context.Background()
	s := start(t, s3server.Options{TLS: true})
	if !strings.HasPrefix(s.URL, "https://") || len(s.CA) == 0 {
		t.Fatalf("URL %s, CA %d bytes: want https and a CA", s.URL, len(s.CA))
	}
	if err := s.CreateBucket(ctx, "secure"); err != nil {
		t.Fatal(err)
	}
	// A client without the CA must not trust the server.
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: true, Region: s.Region, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BucketExists(ctx, "secure"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("BucketExists without the CA = %v, want a certificate error", err)
	}
}

func TestProxyCountsObjectGets(t *testing.T) {
	ctx := context.Background()
	s := start(t, s3server.Options{})
	p, err := s3server.NewProxy(s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObjects(ctx, "bkt", map[string]string{"x": "1"}); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(p.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region})
	if err != nil {
		t.Fatal(err)
	}
	for o := range c.ListObjects(ctx, "bkt", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	if n := p.ObjectGets("bkt"); n != 0 {
		t.Fatalf("ObjectGets after a listing = %d, want 0", n)
	}
	if err := c.FGetObject(ctx, "bkt", "x", filepath.Join(t.TempDir(), "x"), minio.GetObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := p.ObjectGets("bkt"); n != 1 {
		t.Fatalf("ObjectGets after one download = %d, want 1 (requests: %+v)", n, p.Requests())
	}
}

func TestVersionMatchesToolsModule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/versity/versitygw " + s3server.Version
	if !strings.Contains(string(data), want) {
		t.Fatalf("tools/go.mod does not require %q: update s3server.Version", want)
	}
}

func TestBinaryFromEnvMustExist(t *testing.T) {
	t.Setenv(s3server.BinaryEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := s3server.Binary(); err == nil || !strings.Contains(err.Error(), s3server.BinaryEnv) {
		t.Fatalf("Binary() = %v, want an error naming $%s", err, s3server.BinaryEnv)
	}
}

func TestMutualTLS(t *testing.T) {
	ctx := context.Background()
	s := start(t, s3server.Options{MutualTLS: true})
	if len(s.ClientCert) == 0 || len(s.ClientKey) == 0 || !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %s, client certificate %d bytes: want https and a client certificate", s.URL, len(s.ClientCert))
	}
	if err := s.CreateBucket(ctx, "mutual"); err != nil {
		t.Fatal(err)
	}
	// A client that trusts the CA but has no certificate is turned away.
	hc, err := (&s3server.Server{CA: s.CA}).HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: true,
		Region: s.Region, Transport: hc.Transport, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BucketExists(ctx, "mutual"); err == nil {
		t.Fatal("BucketExists without a client certificate succeeded")
	}
}
