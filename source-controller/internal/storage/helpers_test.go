package storage

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testAddr is the advertised address of test storages.
const testAddr = "source-controller.flux-system.svc.cluster.local."

// newTestStorage returns a Storage on a fresh temporary directory.
func newTestStorage(t testing.TB, retention int) *Storage {
	t.Helper()
	s, err := New(Config{Path: filepath.Join(t.TempDir(), "storage"), AdvertisedAddr: testAddr, Retention: retention})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// writeTree writes files (slash-separated name to content) below a fresh
// temporary directory and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// largeTree writes n small files spread over directories and returns the
// directory.
func largeTree(tb testing.TB, n int) string {
	tb.Helper()
	files := make(map[string]string, n)
	for i := range n {
		files[fmt.Sprintf("dir%02d/file%04d.yaml", i%20, i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  key: value-%d\n", i, i)
	}
	return writeTree(tb, files)
}

// setMTime sets the modification time of the storage-relative path rel.
func setMTime(t *testing.T, s *Storage, rel string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(filepath.Join(s.Path(), filepath.FromSlash(rel)), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// bytesReader returns a reader of s.
func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }

// httptestServer serves s on 127.0.0.1 until the test ends and returns the
// server's base URL.
func httptestServer(tb testing.TB, s *Storage) string {
	tb.Helper()
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

// must fails the test on a setup error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
