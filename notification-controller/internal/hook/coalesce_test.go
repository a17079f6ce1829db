package hook

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCoalescer: callers of one key that arrive while a run is under way share the next run,
// which starts after they arrived, so a burst of 50 costs two runs; keys do not wait for each
// other.
func TestCoalescer(t *testing.T) {
	c := newCoalescer()
	var runs atomic.Int32
	var mu sync.Mutex
	var starts []time.Time
	release := make(chan struct{})
	fn := func(context.Context) error {
		runs.Add(1)
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		<-release
		return nil
	}
	var wg sync.WaitGroup
	arrived := make([]time.Time, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arrived[i] = time.Now()
			if err := c.do(context.Background(), "obj", fn); err != nil {
				t.Error(err)
			}
		}()
	}
	other := make(chan struct{})
	go func() {
		_ = c.do(context.Background(), "other", func(context.Context) error { return nil })
		close(other)
	}()
	<-other // another key is not held up by the run of "obj"
	for waiting := 0; waiting < 49; {
		c.mu.Lock()
		if s := c.slots["obj"]; s != nil {
			waiting = len(s.waiters)
		}
		c.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d runs for a burst of 50 callers, want 2: the first, and one for all who came meanwhile", n)
	}
	last := starts[len(starts)-1]
	for i, a := range arrived {
		if a.After(last) {
			t.Fatalf("caller %d arrived after the last run started", i)
		}
	}
}
