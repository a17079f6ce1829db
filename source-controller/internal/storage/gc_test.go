package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// storeAged stores n artifacts of one object with modification times one
// minute apart, oldest first, and returns them in that order.
func storeAged(t *testing.T, s *Storage, kind, ns, name string, n int) []fluxmeta.Artifact {
	t.Helper()
	base := time.Now().Add(-time.Duration(n) * time.Minute)
	out := make([]fluxmeta.Artifact, n)
	for i := range n {
		a, err := s.Store(context.Background(), kind, ns, name, strings.NewReader(fmt.Sprintf("content %d", i)), ".tar.gz", fmt.Sprint(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		setMTime(t, s, a.Path, base.Add(time.Duration(i)*time.Minute))
		out[i] = a
	}
	return out
}

func TestGarbageCollect(t *testing.T) {
	cases := []struct {
		name      string
		retention int
		stored    int
		current   int // index of the current artifact; -1 for one of another object
		wantKept  []int
	}{
		{name: "current is the newest", stored: 4, current: 3, wantKept: []int{2, 3}},
		{name: "current is the oldest", stored: 4, current: 0, wantKept: []int{0, 2, 3}},
		{name: "current is in the middle", stored: 5, current: 1, wantKept: []int{1, 3, 4}},
		{name: "current of another object", stored: 3, current: -1, wantKept: []int{1, 2}},
		{name: "retention one", retention: 1, stored: 3, current: 2, wantKept: []int{2}},
		{name: "retention five", retention: 5, stored: 3, current: 2, wantKept: []int{0, 1, 2}},
		{name: "fewer than retention", stored: 1, current: 0, wantKept: []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStorage(t, tc.retention)
			stored := storeAged(t, s, "GitRepository", "ns", "app", tc.stored)
			neighbours := storeAged(t, s, "GitRepository", "ns", "app-2", 3)
			current := fluxmeta.Artifact{Path: "gitrepository/ns/app-2/whatever.tar.gz"}
			if tc.current >= 0 {
				current = stored[tc.current]
			}

			removed, err := s.GarbageCollect(context.Background(), "GitRepository", "ns", "app", current)
			if err != nil {
				t.Fatalf("GarbageCollect() error = %v", err)
			}
			var wantRemoved []string
			for i, a := range stored {
				kept := slices.Contains(tc.wantKept, i)
				if got := s.Exists(a); got != kept {
					t.Errorf("artifact %d exists = %v, want %v", i, got, kept)
				}
				if !kept {
					wantRemoved = append(wantRemoved, a.Path)
				}
			}
			slices.Sort(removed)
			slices.Sort(wantRemoved)
			if !slices.Equal(removed, wantRemoved) {
				t.Errorf("removed %v, want %v", removed, wantRemoved)
			}
			for _, a := range neighbours {
				if err := s.Verify(a); err != nil {
					t.Errorf("another object's artifact was touched: %v", err)
				}
			}
		})
	}
}

func TestGarbageCollectLeavesOtherEntries(t *testing.T) {
	s := newTestStorage(t, 1)
	stored := storeAged(t, s, "Bucket", "ns", "b", 2)
	dir := filepath.Join(s.Path(), "bucket", "ns", "b")
	outside := writeFile(t, t.TempDir(), "outside.tar.gz")
	if err := os.Symlink(outside, filepath.Join(dir, "link.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub"), "old.tar.gz")
	staleTemp := writeFile(t, dir, ".archive-stale.tar.gz")
	freshTemp := writeFile(t, dir, ".archive-fresh.tar.gz")
	old := time.Now().Add(-2 * staleTempAge)
	for _, p := range []string{staleTemp, filepath.Join(dir, "sub", "old.tar.gz")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := s.GarbageCollect(context.Background(), "Bucket", "ns", "b", stored[1])
	if err != nil {
		t.Fatalf("GarbageCollect() error = %v", err)
	}
	want := []string{stored[0].Path, "bucket/ns/b/.archive-stale.tar.gz"}
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range []string{outside, freshTemp, filepath.Join(dir, "link.tar.gz"), filepath.Join(dir, "sub", "old.tar.gz")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if removed, err := s.GarbageCollect(context.Background(), "Bucket", "ns", "missing", fluxmeta.Artifact{}); err != nil || len(removed) != 0 {
		t.Errorf("GarbageCollect() of an object without artifacts = %v, %v", removed, err)
	}
	if _, err := s.GarbageCollect(context.Background(), "Bucket", "..", "b", fluxmeta.Artifact{}); err == nil {
		t.Error("GarbageCollect() with namespace .. succeeded")
	}
}

func TestRemoveAll(t *testing.T) {
	s := newTestStorage(t, 0)
	gone := storeAged(t, s, "HelmChart", "ns", "chart", 2)
	kept := append(storeAged(t, s, "HelmChart", "ns", "chart-2", 1), storeAged(t, s, "HelmChart", "other", "chart", 1)...)
	kept = append(kept, storeAged(t, s, "HelmRepository", "ns", "chart", 1)...)

	if err := s.RemoveAll("HelmChart", "ns", "chart"); err != nil {
		t.Fatalf("RemoveAll() error = %v", err)
	}
	for _, a := range gone {
		if s.Exists(a) {
			t.Errorf("%s still exists", a.Path)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Path(), "helmchart", "ns", "chart")); !os.IsNotExist(err) {
		t.Errorf("object directory still exists: %v", err)
	}
	for _, a := range kept {
		if err := s.Verify(a); err != nil {
			t.Errorf("another object's artifact was touched: %v", err)
		}
	}
	if err := s.RemoveAll("HelmChart", "ns", "chart"); err != nil {
		t.Errorf("second RemoveAll() error = %v", err)
	}
	for _, bad := range [][3]string{{"HelmChart", "ns", ".."}, {"HelmChart", "", "x"}, {"", "ns", "x"}, {"HelmChart", "ns/x", "y"}} {
		if err := s.RemoveAll(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("RemoveAll(%q) succeeded", bad)
		}
	}
}

// TestConcurrentObjects archives, collects and removes many objects at
// once, one goroutine per object, each holding its object's lock.
func TestConcurrentObjects(t *testing.T) {
	s := newTestStorage(t, 2)
	const objects, rounds = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, objects)
	for o := range objects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- churn(s, t.TempDir(), fmt.Sprintf("app-%d", o), rounds, o%2 == 0)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for o := range objects {
		paths, err := s.List("GitRepository", "ns", fmt.Sprintf("app-%d", o))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 0, false: 2}[o%2 == 0]; len(paths) != want {
			t.Errorf("object %d has %d artifacts, want %d: %v", o, len(paths), want, paths)
		}
	}
	assertNoTempFiles(t, s)
}

// churn archives rounds revisions of one object, collecting garbage after
// each, and removes the object at the end if remove is set.
func churn(s *Storage, workDir, name string, rounds int, remove bool) error {
	ctx := context.Background()
	for r := range rounds {
		src := filepath.Join(workDir, fmt.Sprint(r))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, "rev.yaml"), []byte(name+fmt.Sprint(r)), 0o644); err != nil {
			return err
		}
		unlock, err := s.Lock(ctx, "GitRepository", "ns", name)
		if err != nil {
			return err
		}
		a, err := s.Archive(ctx, "GitRepository", "ns", name, src, fmt.Sprint(r), nil, nil)
		if err == nil {
			_, err = s.GarbageCollect(ctx, "GitRepository", "ns", name, a)
		}
		if err == nil {
			err = s.Verify(a)
		}
		unlock()
		if err != nil {
			return fmt.Errorf("%s round %d: %w", name, r, err)
		}
	}
	if remove {
		return s.RemoveAll("GitRepository", "ns", name)
	}
	return nil
}
