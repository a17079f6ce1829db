package bucket

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/s3server"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// server is one S3 server shared by the tests of this file; each test uses its own bucket.
var server *s3server.Server

func TestMain(m *testing.M) {
	if testenv.Fuzzing() { // a fuzz target needs no S3 server
		os.Exit(m.Run())
	}
	var err error
	if server, err = s3server.Start(s3server.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// bucketSeq numbers the buckets the tests create.
var bucketSeq atomic.Int64

// newBucket creates a bucket named after the test holding objects.
func newBucket(t *testing.T, s *s3server.Server, objects map[string]string) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	name = fmt.Sprintf("%s-%d", name, bucketSeq.Add(1)) // unique with -count
	ctx := context.Background()
	if err := s.CreateBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObjects(ctx, name, objects); err != nil {
		t.Fatal(err)
	}
	return name
}

func clientFor(t *testing.T, s *s3server.Server, endpoint string) *Client {
	t.Helper()
	c, err := NewClient(Config{Endpoint: endpoint, Insecure: s.CA == nil, Region: s.Region, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestListPrefixAndIgnore(t *testing.T) {
	name := newBucket(t, server, map[string]string{
		".sourceignore":       "*.md\n",
		"apps/a.yaml":         "a",
		"apps/README.md":      "readme",
		"apps/secret.env":     "x",
		"apps/sub/b.yaml":     "b",
		"infra/c.yaml":        "c",
		"apps/keep/notes.txt": "n",
	})
	c := clientFor(t, server, server.Endpoint)
	tests := []struct {
		name       string
		prefix     string
		specIgnore *string
		want       []string
	}{
		{"whole bucket", "", nil, []string{"apps/a.yaml", "apps/keep/notes.txt", "apps/secret.env", "apps/sub/b.yaml", "infra/c.yaml"}},
		{"prefix", "apps/", nil, []string{"apps/a.yaml", "apps/keep/notes.txt", "apps/secret.env", "apps/sub/b.yaml"}},
		{"spec.ignore adds and overrules", "apps/", ptr("*.env\n!README.md\nkeep/\n"), []string{"apps/README.md", "apps/a.yaml", "apps/sub/b.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := c.List(ctxT(t), name, tt.prefix, tt.specIgnore)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(maps.Keys(l.Index))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("keys = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDownloadOnlyWhatChanged(t *testing.T) {
	ctx := ctxT(t)
	name := newBucket(t, server, map[string]string{"a.yaml": "a", "dir/b.yaml": "b", "c.yaml": "c"})
	proxy, err := s3server.NewProxy(server)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	c := clientFor(t, server, proxy.Endpoint)
	dir := t.TempDir()

	first, err := c.List(ctx, name, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Download(ctx, name, dir, first.Index, nil, 2)
	if err != nil || st.Fetched != 3 {
		t.Fatalf("first Download = %+v, %v; want 3 fetched", st, err)
	}
	assertTree(t, dir, map[string]string{"a.yaml": "a", "dir/b.yaml": "b", "c.yaml": "c"})

	if _, err := server.PutObject(ctx, name, "a.yaml", []byte("a2")); err != nil {
		t.Fatal(err)
	}
	if err := server.DeleteObject(ctx, name, "dir/b.yaml"); err != nil {
		t.Fatal(err)
	}
	second, err := c.List(ctx, name, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Index.Revision() == first.Index.Revision() {
		t.Fatal("the revision did not change with the objects")
	}
	before := proxy.Gets(name)
	st, err = c.Download(ctx, name, dir, second.Index, first.Index, 2)
	if err != nil || st != (Stats{Fetched: 1, Reused: 1, Removed: 1}) {
		t.Fatalf("second Download = %+v, %v; want 1 fetched, 1 reused, 1 removed", st, err)
	}
	after := proxy.Gets(name)
	if after["a.yaml"]-before["a.yaml"] != 1 || after["c.yaml"] != before["c.yaml"] {
		t.Fatalf("GETs before %v, after %v: want only a.yaml fetched again", before, after)
	}
	assertTree(t, dir, map[string]string{"a.yaml": "a2", "c.yaml": "c"})
}

func TestBucketExists(t *testing.T) {
	ctx := ctxT(t)
	name := newBucket(t, server, nil)
	c := clientFor(t, server, server.Endpoint)
	if err := c.BucketExists(ctx, name); err != nil {
		t.Fatal(err)
	}
	err := c.BucketExists(ctx, "missing-bucket")
	if !errors.Is(err, ErrBucketNotFound) || err.Error() != "bucket 'missing-bucket' not found" {
		t.Fatalf("BucketExists(missing) = %v, want ErrBucketNotFound", err)
	}
}

func TestFailures(t *testing.T) {
	name := newBucket(t, server, map[string]string{"a": "a"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"wrong secret", Config{Endpoint: server.Endpoint, Insecure: true, Region: server.Region, AccessKey: server.AccessKey, SecretKey: "wrong"}, "SignatureDoesNotMatch"},
		{"unknown access key", Config{Endpoint: server.Endpoint, Insecure: true, Region: server.Region, AccessKey: "nobody", SecretKey: "wrong"}, "No user exists with the provided access key ID"},
		{"unreachable", Config{Endpoint: closed, Insecure: true, Region: server.Region}, "connection refused"},
		{"TLS to a plain server", Config{Endpoint: server.Endpoint, Region: server.Region}, "failed to confirm existence of bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.BucketExists(ctxT(t), name)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrBucketNotFound) {
				t.Fatalf("BucketExists = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	tests := []struct {
		name   string
		opts   s3server.Options
		secret func(s *s3server.Server) map[string][]byte
	}{
		{"CA", s3server.Options{TLS: true}, func(s *s3server.Server) map[string][]byte {
			return map[string][]byte{CAKey: s.CA}
		}},
		{"client certificate", s3server.Options{MutualTLS: true}, func(s *s3server.Server) map[string][]byte {
			return map[string][]byte{CAKey: s.CA, CertKey: s.ClientCert, KeyKey: s.ClientKey}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := s3server.Start(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop()
			name := newBucket(t, s, map[string]string{"a.yaml": "a"})
			cfg := Config{Endpoint: s.Endpoint, Region: s.Region, AccessKey: s.AccessKey, SecretKey: s.SecretKey}
			if err := cfg.SetTLSFromSecret(tt.secret(s)); err != nil {
				t.Fatal(err)
			}
			listOne(t, cfg, name)
		})
	}
}

// listOne lists bucket with cfg and fails unless it holds exactly one object.
func listOne(t *testing.T, cfg Config, bucket string) {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.List(ctxT(t), bucket, "", nil)
	if err != nil || len(l.Index) != 1 {
		t.Fatalf("List = %v, %v; want one object", l, err)
	}
}

func assertTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tree = %v, want %v", got, want)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "dir")); len(want) == 2 && entries != nil {
		t.Fatalf("empty directory 'dir' was left behind")
	}
}

func ptr[T any](v T) *T { return &v }

func TestThroughProxy(t *testing.T) {
	name := newBucket(t, server, map[string]string{"a.yaml": "a"})
	var mu sync.Mutex
	var seen []string
	fwd := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.In.Header.Get("Proxy-Authorization")+" "+r.In.URL.Host)
		r.Out.Host = r.In.Host
	}})
	defer fwd.Close()
	cfg := Config{Endpoint: server.Endpoint, Insecure: true, Region: server.Region, AccessKey: server.AccessKey, SecretKey: server.SecretKey}
	err := cfg.SetProxyFromSecret(map[string][]byte{"address": []byte(fwd.URL), "username": []byte("u"), "password": []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	listOne(t, cfg, name)
	mu.Lock()
	defer mu.Unlock()
	want := "Basic dTpw " + server.Endpoint // base64("u:p")
	if len(seen) == 0 || seen[0] != want {
		t.Fatalf("proxy saw %q, want requests %q", seen, want)
	}
}
