package artifact

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// artifactServer serves a built artifact and misbehaving endpoints on
// 127.0.0.1.
func artifactServer(t *testing.T, archive, unsafeArchive []byte) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.tar.gz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(archive) })
	mux.HandleFunc("/unsafe.tar.gz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(unsafeArchive) })
	mux.HandleFunc("/chunked.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(archive); i += 100 { // flushing forces chunked encoding: no Content-Length
			_, _ = w.Write(archive[i:min(i+100, len(archive))])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(archive[:10])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

// fetchFixture builds a small artifact and serves it, with an unsafe one,
// from artifactServer.
type fetchFixture struct {
	srv          *httptest.Server
	digest       string
	size         int64
	unsafeDigest string
}

func newFetchFixture(t *testing.T) fetchFixture {
	t.Helper()
	src := t.TempDir()
	writeTree(t, src, map[string]string{"deploy/app.yaml": "kind: Deployment", "README.md": "# app"})
	built := filepath.Join(t.TempDir(), "a.tar.gz")
	digest, size, err := Build(context.Background(), src, built, nil)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	unsafeArchive := tarGz(t, fileEntry("../escape", "x"))
	unsafeDigest, _, err := DigestReader(bytes.NewReader(unsafeArchive))
	if err != nil {
		t.Fatal(err)
	}
	return fetchFixture{srv: artifactServer(t, archive, unsafeArchive), digest: digest, size: size, unsafeDigest: unsafeDigest}
}

func TestFetch(t *testing.T) {
	fx := newFetchFixture(t)
	srv, digest, size, unsafeDigest := fx.srv, fx.digest, fx.size, fx.unsafeDigest
	wrongSize := size + 1
	tooBig := DefaultMaxDownloadSize + 1

	tests := []struct {
		name    string
		url     string
		digest  string
		size    *int64
		limits  Limits
		timeout time.Duration
		wantErr error
		wantMsg string
	}{
		{name: "digest and size verified", url: srv.URL + "/ok.tar.gz", digest: digest, size: &size},
		{name: "digest verified without size", url: srv.URL + "/chunked.tar.gz", digest: digest},
		{name: "digest mismatch", url: srv.URL + "/ok.tar.gz", digest: helloDigest, size: &size,
			wantErr: ErrDigestMismatch, wantMsg: "artifact digest mismatch: expected " + helloDigest + ", got " + digest},
		{name: "size mismatch", url: srv.URL + "/ok.tar.gz", digest: digest, size: &wrongSize,
			wantErr: ErrDigestMismatch, wantMsg: "artifact size mismatch: expected"},
		{name: "unsupported digest algorithm", url: srv.URL + "/ok.tar.gz", digest: "sha512:" + strings.Repeat("a", 128),
			wantMsg: `unsupported digest algorithm "sha512"`},
		{name: "not found", url: srv.URL + "/missing.tar.gz", digest: digest,
			wantMsg: "server answered 404 Not Found"},
		{name: "over the download limit by Content-Length", url: srv.URL + "/ok.tar.gz", digest: digest,
			limits: Limits{MaxDownloadSize: 100}, wantErr: ErrLimitExceeded,
			wantMsg: "artifact exceeds the download size limit of 100 bytes"},
		{name: "over the download limit while streaming", url: srv.URL + "/chunked.tar.gz", digest: digest,
			limits: Limits{MaxDownloadSize: 100}, wantErr: ErrLimitExceeded,
			wantMsg: "artifact exceeds the download size limit of 100 bytes"},
		{name: "expected size over the download limit", url: srv.URL + "/ok.tar.gz", digest: digest, size: &tooBig,
			wantErr: ErrLimitExceeded, wantMsg: "exceeds the download size limit"},
		{name: "unsafe artifact with a valid digest", url: srv.URL + "/unsafe.tar.gz", digest: unsafeDigest,
			wantErr: ErrUnsafeEntry, wantMsg: `failed to extract artifact: entry "../escape" escapes the artifact root`},
		{name: "context deadline", url: srv.URL + "/slow.tar.gz", digest: digest, timeout: 200 * time.Millisecond,
			wantErr: context.DeadlineExceeded, wantMsg: "context deadline exceeded"},
		{name: "credentials are not shown", url: strings.Replace(srv.URL, "://", "://user:s3cret@", 1) + "/missing?token=t0ken",
			digest: digest, wantMsg: "server answered 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			parent, dest, sentinel := newConfinedDir(t)
			err := Fetch(ctx, srv.Client(), tt.url, tt.digest, tt.size, dest, tt.limits)
			assertConfined(t, parent, dest, sentinel)
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("Fetch() left %d temporary files", len(left))
			}
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Fetch() error = %v", err)
				}
				wantFile(t, dest, "deploy/app.yaml", "kind: Deployment", 0o644)
				return
			}
			checkFetchError(t, err, dest, tt.wantErr, tt.wantMsg)
		})
	}
}

// checkFetchError fails t unless err contains wantMsg, matches wantErr (if
// not nil) and shows no credentials, and unless nothing was extracted before
// the artifact was verified.
func checkFetchError(t *testing.T, err error, dest string, wantErr error, wantMsg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), wantMsg) {
		t.Fatalf("Fetch() error = %v, want it to contain %q", err, wantMsg)
	}
	if wantErr != nil && !errors.Is(err, wantErr) {
		t.Errorf("Fetch() error = %v, want it to match %v", err, wantErr)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("Fetch() error = %v shows credentials", err)
	}
	if !errors.Is(err, ErrUnsafeEntry) {
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Errorf("Fetch() created %s before the artifact was verified", dest)
		}
	}
}

func TestFetchStatusError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	err := Fetch(context.Background(), nil, srv.URL+"/a.tar.gz", emptyDigest, nil, t.TempDir(), Limits{})
	var statusErr *StatusError
	if !errors.As(err, &statusErr) || statusErr.StatusCode != http.StatusNotFound {
		t.Fatalf("Fetch() error = %v, want a *StatusError with 404", err)
	}
}
