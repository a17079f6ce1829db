package storage

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzHandlerPath requests arbitrary paths and checks that the handler
// answers only 200 with the one stored artifact, or 400 or 404, and never
// serves the file planted beside the storage root.
func FuzzHandlerPath(f *testing.F) {
	for _, seed := range []string{
		"/gitrepository/ns/app/x.tar.gz", "/../outside.tar.gz", "/%2e%2e/outside.tar.gz", "//etc/passwd",
		"/gitrepository/ns/app/", "/", "", "/gitrepository/ns/app/../../../../outside.tar.gz", "\\..\\outside.tar.gz",
	} {
		f.Add(seed)
	}
	parent := f.TempDir()
	if err := os.WriteFile(filepath.Join(parent, "outside.tar.gz"), []byte("SECRET"), 0o644); err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{Path: filepath.Join(parent, "storage"), AdvertisedAddr: testAddr})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	a, err := s.Store(context.Background(), "GitRepository", "ns", "app", strings.NewReader("artifact"), ".tar.gz", "r", nil)
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()

	f.Fuzz(func(t *testing.T, p string) {
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Header: http.Header{}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Result().Body)
		switch rec.Code {
		case http.StatusOK:
			if string(body) != "artifact" || strings.TrimPrefix(filepath.Clean(p), "/") != a.Path {
				t.Fatalf("GET %q served %q", p, body)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			if strings.Contains(string(body), "SECRET") {
				t.Fatalf("GET %q leaked the outside file", p)
			}
		default:
			t.Fatalf("GET %q = %d", p, rec.Code)
		}
	})
}
