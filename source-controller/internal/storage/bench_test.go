package storage

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkArchive packs a tree of 1,000 small YAML files; SetBytes is the
// size of the source files, and the artifact-bytes metric the size of the
// archive.
func BenchmarkArchive(b *testing.B) {
	s := newTestStorage(b, 0)
	src := largeTree(b, 1000)
	var srcBytes int64
	_ = filepath.WalkDir(src, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			srcBytes += info.Size()
		}
		return nil
	})
	b.SetBytes(srcBytes)
	b.ResetTimer()
	var size int64
	for b.Loop() {
		a, err := s.Archive(context.Background(), "GitRepository", "ns", "bench", src, "r", nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		size = *a.Size
	}
	b.ReportMetric(float64(size), "artifact-bytes")
}

// BenchmarkServe downloads a 4 MiB artifact over loopback HTTP; SetBytes
// makes the result a throughput.
func BenchmarkServe(b *testing.B) {
	s := newTestStorage(b, 0)
	content := make([]byte, 4<<20)
	_, _ = rand.Read(content)
	a, err := s.Store(context.Background(), "Bucket", "ns", "bench", strings.NewReader(string(content)), ".tar.gz", "r", nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptestServer(b, s)
	url := srv + "/" + a.Path
	b.SetBytes(*a.Size)
	b.ResetTimer()
	for b.Loop() {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if err != nil || n != *a.Size || res.StatusCode != http.StatusOK {
			b.Fatalf("GET = %d, %d bytes, %v", res.StatusCode, n, err)
		}
	}
}
