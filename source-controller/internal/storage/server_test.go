package storage

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// serveStorage starts an HTTP server on 127.0.0.1 for a new storage that
// advertises the server's address.
func serveStorage(t *testing.T) (*Storage, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	s, err := New(Config{Path: t.TempDir(), AdvertisedAddr: srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = s.Close()
	})
	return s, srv
}

func TestFetchRoundTrip(t *testing.T) {
	s, srv := serveStorage(t)
	files := map[string]string{"kustomization.yaml": "resources: [app.yaml]\n", "app.yaml": "kind: ConfigMap\n", "sub/dir/x.txt": "x"}
	a, err := s.Archive(context.Background(), "GitRepository", "flux-system", "repo", writeTree(t, files), "main@sha1:1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want one on 127.0.0.1", a.URL)
	}

	dest := t.TempDir()
	if err := artifact.Fetch(context.Background(), srv.Client(), a.URL, a.Digest, a.Size, dest, artifact.Limits{}); err != nil {
		t.Fatalf("Fetch() error = %v", err)
	}
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name))); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v, want %q", name, got, err, want)
		}
	}

	other, _, _ := artifact.DigestReader(strings.NewReader("other"))
	err = artifact.Fetch(context.Background(), srv.Client(), a.URL, other, nil, t.TempDir(), artifact.Limits{})
	if !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Errorf("Fetch() with a wrong digest error = %v, want a digest mismatch", err)
	}
	if err := s.RemoveAll("GitRepository", "flux-system", "repo"); err != nil {
		t.Fatal(err)
	}
	var se *artifact.StatusError
	err = artifact.Fetch(context.Background(), srv.Client(), a.URL, a.Digest, a.Size, t.TempDir(), artifact.Limits{})
	if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
		t.Errorf("Fetch() of a removed artifact error = %v, want 404", err)
	}
}

// handlerFixture stores a tar.gz and an index.yaml and plants entries the
// handler must refuse to serve.
func handlerFixture(t *testing.T) (*Storage, fluxmeta.Artifact, fluxmeta.Artifact) {
	t.Helper()
	s := newTestStorage(t, 0)
	tgz, err := s.Archive(context.Background(), "GitRepository", "ns", "app", writeTree(t, map[string]string{"a": "a"}), "r", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	index, err := s.Store(context.Background(), "HelmRepository", "ns", "repo", strings.NewReader("entries: {}\n"), ".yaml", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Path(), "gitrepository", "ns", "app")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, ".archive-123.tar.gz")
	if err := os.Symlink(writeFile(t, t.TempDir(), "secret"), filepath.Join(dir, "escape.tar.gz")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(s.Path()), "outside.tar.gz")
	return s, tgz, index
}

func TestHandler(t *testing.T) {
	s, tgz, index := handlerFixture(t)
	h := s.Handler()
	cases := []struct {
		name, method, target string
		header               map[string]string
		wantCode             int
		wantType, wantBody   string
		wantLength           int64
	}{
		{name: "tar.gz", method: "GET", target: "/" + tgz.Path, wantCode: 200, wantType: "application/gzip", wantLength: *tgz.Size},
		{name: "HEAD", method: "HEAD", target: "/" + tgz.Path, wantCode: 200, wantType: "application/gzip", wantLength: *tgz.Size},
		{name: "yaml", method: "GET", target: "/" + index.Path, wantCode: 200, wantType: "application/yaml", wantBody: "entries: {}\n"},
		{name: "range", method: "GET", target: "/" + index.Path, header: map[string]string{"Range": "bytes=0-6"}, wantCode: 206, wantBody: "entries"},
		{name: "not modified", method: "GET", target: "/" + tgz.Path, header: map[string]string{"If-None-Match": `"` + tgz.Digest[7:] + `"`}, wantCode: 304},
		{name: "other entity tag", method: "GET", target: "/" + tgz.Path, header: map[string]string{"If-None-Match": `"0"`}, wantCode: 200, wantLength: *tgz.Size},
		{name: "POST", method: "POST", target: "/" + tgz.Path, wantCode: 405},
		{name: "PUT", method: "PUT", target: "/" + tgz.Path, wantCode: 405},
		{name: "DELETE", method: "DELETE", target: "/" + tgz.Path, wantCode: 405},
		{name: "root listing", method: "GET", target: "/", wantCode: 400},
		{name: "kind listing", method: "GET", target: "/gitrepository/", wantCode: 400},
		{name: "kind directory", method: "GET", target: "/gitrepository", wantCode: 404},
		{name: "object directory", method: "GET", target: "/gitrepository/ns/app", wantCode: 404},
		{name: "object listing", method: "GET", target: "/gitrepository/ns/app/", wantCode: 400},
		{name: "subdirectory", method: "GET", target: "/gitrepository/ns/app/sub", wantCode: 404},
		{name: "temporary file", method: "GET", target: "/gitrepository/ns/app/.archive-123.tar.gz", wantCode: 404},
		{name: "missing file", method: "GET", target: "/gitrepository/ns/app/0000.tar.gz", wantCode: 404},
		{name: "symbolic link out", method: "GET", target: "/gitrepository/ns/app/escape.tar.gz", wantCode: 404},
		{name: "dot-dot", method: "GET", target: "/../outside.tar.gz", wantCode: 400},
		{name: "dot-dot inside", method: "GET", target: "/gitrepository/ns/app/../../../../outside.tar.gz", wantCode: 400},
		{name: "encoded dot-dot", method: "GET", target: "/%2e%2e/outside.tar.gz", wantCode: 400},
		{name: "encoded dot-dot and slash", method: "GET", target: "/gitrepository%2f..%2F..%2foutside.tar.gz", wantCode: 400},
		{name: "dot", method: "GET", target: "/gitrepository/./ns/app/x.tar.gz", wantCode: 400},
		{name: "double slash", method: "GET", target: "//etc/passwd", wantCode: 400},
		{name: "encoded absolute", method: "GET", target: "/%2fetc%2fpasswd", wantCode: 400},
		{name: "absolute form", method: "GET", target: "http://evil.example/etc/passwd", wantCode: 404},
		{name: "backslash", method: "GET", target: `/gitrepository\..\..\outside.tar.gz`, wantCode: 400},
		{name: "NUL", method: "GET", target: "/gitrepository/ns/app/x%00.tar.gz", wantCode: 404},
	}
	// An absolute file system path is taken as relative to the storage root.
	cases = append(cases, struct {
		name, method, target string
		header               map[string]string
		wantCode             int
		wantType, wantBody   string
		wantLength           int64
	}{name: "absolute file system path", method: "GET", target: filepath.Join(s.Path(), tgz.Path), wantCode: 404})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantCode {
				t.Fatalf("status = %d, want %d (body %q)", res.StatusCode, tc.wantCode, body)
			}
			if tc.wantCode == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", res.Header.Get("Allow"))
			}
			if tc.wantType != "" && res.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tc.wantType)
			}
			if tc.wantLength != 0 && res.Header.Get("Content-Length") != strconv.FormatInt(tc.wantLength, 10) {
				t.Errorf("Content-Length = %q, want %d", res.Header.Get("Content-Length"), tc.wantLength)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			if wantTag := `"` + tgz.Digest[7:] + `"`; res.StatusCode == 200 && tc.target == "/"+tgz.Path && res.Header.Get("ETag") != wantTag {
				t.Errorf("ETag = %q, want %q", res.Header.Get("ETag"), wantTag)
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD has a body of %d bytes", len(body))
			}
			if tc.wantCode >= 400 && strings.Contains(string(body), "outside") {
				t.Errorf("error body leaks the file system: %q", body)
			}
		})
	}
}

// TestTraversalOverTheWire sends raw request lines, which no client
// cleans, to a real server.
func TestTraversalOverTheWire(t *testing.T) {
	s, srv := serveStorage(t)
	writeFile(t, filepath.Dir(s.Path()), "outside.tar.gz")
	cases := map[string]int{
		"/../outside.tar.gz":                   400,
		"/%2e%2e/outside.tar.gz":               400,
		"/%2E%2E%2Foutside.tar.gz":             400,
		"/a/b/c/../../../../../outside.tar.gz": 400,
		"//" + s.Path() + "/x.tar.gz":          400,
		s.Path() + "/../outside.tar.gz":        400,
	}
	for target, want := range cases {
		t.Run(target, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: storage\r\nConnection: close\r\n\r\n", target); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s = %d, want %d", target, res.StatusCode, want)
			}
		})
	}
}

func TestServe(t *testing.T) {
	s := newTestStorage(t, 0)
	big := make([]byte, 8<<20)
	_, _ = rand.Read(big)
	a, err := s.Store(context.Background(), "Bucket", "ns", "b", strings.NewReader(string(big)), ".tar.gz", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()

	// A download in flight when the context ends still completes.
	url := "http://" + ln.Addr().String() + "/" + a.Path
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	head := make([]byte, 1024)
	if _, err := io.ReadFull(res.Body, head); err != nil {
		t.Fatal(err)
	}
	cancel()
	digest, n, err := artifact.DigestReader(io.MultiReader(strings.NewReader(string(head)), res.Body))
	if err != nil || digest != a.Digest || n != *a.Size {
		t.Errorf("download during shutdown: digest %s size %d (%v), want %s size %d", digest, n, err, a.Digest, *a.Size)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener() error = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ServeListener() did not return after its context ended")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestServeAddress(t *testing.T) {
	s := newTestStorage(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Serve(ctx, "127.0.0.1:0"); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Serve() with an ended context error = %v", err)
	}
	if err := s.Serve(context.Background(), "127.0.0.1:-1"); err == nil || !strings.Contains(err.Error(), "failed to listen") {
		t.Errorf("Serve() on a bad address error = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.Serve(context.Background(), ln.Addr().String()); err == nil {
		t.Error("Serve() on an address in use succeeded")
	}
}
