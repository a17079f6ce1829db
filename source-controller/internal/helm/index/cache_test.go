package index

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func parsed(t *testing.T, charts int) *Index {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nentries:\n")
	for i := 0; i < charts; i++ {
		fmt.Fprintf(&b, "  c%d:\n  - version: 1.0.%d\n    urls: [https://example.com/c%d.tgz]\n", i, i, i)
	}
	x, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCacheLoadsOncePerDigest(t *testing.T) {
	c := NewCache(0)
	x := parsed(t, 3)
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Get("sha256:a", func() (*Index, error) {
				loads.Add(1)
				<-release
				return x, nil
			})
			if err != nil || got != x {
				t.Errorf("Get = %p, %v", got, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("loaded %d times, want 1", n)
	}
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	c := NewCache(0)
	boom := errors.New("boom")
	if _, err := c.Get("d", func() (*Index, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
	x := parsed(t, 1)
	got, err := c.Get("d", func() (*Index, error) { return x, nil })
	if err != nil || got != x || c.Len() != 1 {
		t.Fatalf("Get = %p, %v; Len = %d", got, err, c.Len())
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	a, b, cc := parsed(t, 50), parsed(t, 50), parsed(t, 50)
	c := NewCache(a.Size()*2 + 1)
	c.Put("a", a)
	c.Put("b", b)
	if _, err := c.Get("a", nil); err != nil { // a becomes the most recent
		t.Fatal(err)
	}
	c.Put("c", cc)
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2", c.Len())
	}
	reloaded := false
	if _, err := c.Get("b", func() (*Index, error) { reloaded = true; return b, nil }); err != nil || !reloaded {
		t.Fatalf("b was not evicted (reloaded=%v, err=%v)", reloaded, err)
	}
	big := NewCache(1)
	big.Put("a", a)
	if big.Len() != 1 {
		t.Fatalf("the most recent index must stay even over budget")
	}
}
