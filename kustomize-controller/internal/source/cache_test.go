package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
)

func newServer(t *testing.T) *artifactserver.Server {
	t.Helper()
	srv, err := artifactserver.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func publish(t *testing.T, srv *artifactserver.Server, name, content string) fluxmeta.Artifact {
	t.Helper()
	a, err := srv.ArtifactFromFiles(name, map[string]string{"app/cm.yaml": content}, "main@sha1:"+name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAcquireOnceForConcurrentCallers(t *testing.T) {
	srv := newServer(t)
	a := publish(t, srv, "one", "kind: ConfigMap\n")
	c, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	handles := make([]*Handle, 50)
	errs := make([]error, 50)
	for i := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handles[i], errs[i] = c.Acquire(context.Background(), &a)
		}()
	}
	wg.Wait()
	for i, h := range handles {
		if errs[i] != nil {
			t.Fatalf("acquire %d: %v", i, errs[i])
		}
		b, err := os.ReadFile(filepath.Join(h.Dir, "app", "cm.yaml"))
		if err != nil || string(b) != "kind: ConfigMap\n" {
			t.Fatalf("acquire %d read %q, %v", i, b, err)
		}
	}
	if n := srv.Downloads(); n != 1 {
		t.Errorf("downloads = %d, want 1", n)
	}
	for _, h := range handles {
		h.Release()
		h.Release()
	}
	h, err := c.Acquire(context.Background(), &a)
	if err != nil {
		t.Fatal(err)
	}
	h.Release()
	if n := srv.Downloads(); n != 1 {
		t.Errorf("downloads after reuse = %d, want 1", n)
	}
}

func TestIdleArtifactsEvictedOldestFirst(t *testing.T) {
	srv := newServer(t)
	c, err := New(Options{Dir: t.TempDir(), Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i := range 4 {
		a := publish(t, srv, fmt.Sprintf("rev%d", i), fmt.Sprintf("n: %d\n", i))
		h, err := c.Acquire(context.Background(), &a)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, h.Dir)
		h.Release()
	}
	for i, d := range dirs {
		_, err := os.Stat(d)
		if kept := i >= 2; kept != (err == nil) {
			t.Errorf("artifact %d kept = %v, want %v", i, err == nil, kept)
		}
	}
}

func TestHeldArtifactNeverEvicted(t *testing.T) {
	srv := newServer(t)
	c, err := New(Options{Dir: t.TempDir(), Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := publish(t, srv, "held", "held\n")
	held, err := c.Acquire(context.Background(), &first)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a := publish(t, srv, fmt.Sprintf("other%d", i), fmt.Sprintf("n: %d\n", i))
		h, err := c.Acquire(context.Background(), &a)
		if err != nil {
			t.Fatal(err)
		}
		h.Release()
	}
	if _, err := os.Stat(filepath.Join(held.Dir, "app", "cm.yaml")); err != nil {
		t.Fatalf("held artifact removed: %v", err)
	}
	held.Release()
}

func TestDigestMismatchIsReportedAndNotCached(t *testing.T) {
	srv := newServer(t)
	a := publish(t, srv, "bad", "x\n")
	good := a.Digest
	a.Digest = "sha256:" + fmt.Sprintf("%064x", 1)
	c, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(context.Background(), &a); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
	a.Digest = good
	h, err := c.Acquire(context.Background(), &a)
	if err != nil {
		t.Fatalf("acquire after a failed fetch: %v", err)
	}
	h.Release()
	if n := c.Fetches(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
}

func TestAcquireRejectsInvalidDigest(t *testing.T) {
	c, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(context.Background(), &fluxmeta.Artifact{Digest: "md5:abc", Revision: "r"}); err == nil {
		t.Fatal("want an error for an invalid digest")
	}
}
