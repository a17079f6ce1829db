package artifactserver_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
)

func TestArtifactFromFilesFetchesAndVerifies(t *testing.T) {
	s, err := artifactserver.New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.ArtifactFromFiles("gitrepository/ns/app/latest", map[string]string{
		"deploy/app.yaml": "kind: ConfigMap\n",
	}, "main@sha1:0123")
	if err != nil {
		t.Fatal(err)
	}
	if a.Revision != "main@sha1:0123" || a.Size == nil || *a.Size == 0 {
		t.Fatalf("unexpected artifact %+v", a)
	}
	dir := t.TempDir()
	if err := artifact.Fetch(context.Background(), http.DefaultClient, a.URL, a.Digest, a.Size, dir, artifact.DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "deploy", "app.yaml"))
	if err != nil || string(got) != "kind: ConfigMap\n" {
		t.Fatalf("extracted %q, %v", got, err)
	}
	if s.Downloads() != 1 {
		t.Fatalf("downloads = %d, want 1", s.Downloads())
	}
	if err := s.Remove(a.Path); err != nil {
		t.Fatal(err)
	}
	if err := artifact.Fetch(context.Background(), http.DefaultClient, a.URL, a.Digest, a.Size, t.TempDir(), artifact.DefaultLimits()); err == nil {
		t.Fatal("fetch of a removed artifact succeeded")
	}
}
