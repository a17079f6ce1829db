package helmrepo

import "sync"

// pathCounter counts requests per URL path.
type pathCounter struct {
	mu *sync.Mutex
	n  map[string]int64
}

func newPathCounter() pathCounter { return pathCounter{mu: &sync.Mutex{}, n: map[string]int64{}} }

func (c pathCounter) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[path]++
}

func (c pathCounter) get(path string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}
