package hook

import (
	"context"
	"sync"
	"time"
)

// coalescer runs at most one request per object at a time. A caller that arrives while one
// runs waits for the next, which starts after it arrived, and shares its outcome with every
// caller that arrived meanwhile: a burst of webhooks for one object costs two API writes,
// and every caller still gets a write that happened after its request.
type coalescer struct {
	mu    sync.Mutex
	slots map[string]*slot
}

// drainTimeout bounds a run made for callers that joined.
const drainTimeout = 30 * time.Second

type slot struct {
	waiters []chan error
}

func newCoalescer() *coalescer { return &coalescer{slots: map[string]*slot{}} }

// do runs fn for key, or joins the next run of fn for key when one is under way.
func (c *coalescer) do(ctx context.Context, key string, fn func(context.Context) error) error {
	c.mu.Lock()
	if s, running := c.slots[key]; running {
		ch := make(chan error, 1)
		s.waiters = append(s.waiters, ch)
		c.mu.Unlock()
		select {
		case err := <-ch:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s := &slot{}
	c.slots[key] = s
	c.mu.Unlock()
	err := fn(ctx)
	go c.drain(key, s, fn)
	return err
}

// drain runs fn again for the callers that arrived during the last run, until none did.
func (c *coalescer) drain(key string, s *slot, fn func(context.Context) error) {
	for {
		c.mu.Lock()
		waiters := s.waiters
		s.waiters = nil
		if len(waiters) == 0 {
			delete(c.slots, key)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		err := fn(ctx)
		cancel()
		for _, ch := range waiters {
			ch <- err
		}
	}
}
