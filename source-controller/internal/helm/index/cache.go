package index

import (
	"container/list"
	"sync"
)

// DefaultCacheSize is the default memory budget of a Cache, in bytes (estimated).
const DefaultCacheSize int64 = 128 << 20

// Cache holds parsed indexes by the digest of their file, so that every chart resolving from
// one repository index shares one parsed copy. It evicts the least recently used indexes once
// their estimated size exceeds the budget, always keeping the most recent one. Concurrent
// requests for a missing index parse it once. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	budget  int64
	used    int64
	entries map[string]*cacheEntry
	lru     *list.List // of *cacheEntry, most recently used first
}

type cacheEntry struct {
	digest string
	ready  chan struct{}
	idx    *Index
	err    error
	elem   *list.Element
}

// NewCache returns an empty cache with a budget in bytes; zero or less means DefaultCacheSize.
func NewCache(budget int64) *Cache {
	if budget <= 0 {
		budget = DefaultCacheSize
	}
	return &Cache{budget: budget, entries: map[string]*cacheEntry{}, lru: list.New()}
}

// Get returns the index of the file with the given digest. When it is not cached, load
// parses it; concurrent callers for the same digest wait for that one load. A failed load is
// not cached.
func (c *Cache) Get(digest string, load func() (*Index, error)) (*Index, error) {
	c.mu.Lock()
	if e, ok := c.entries[digest]; ok {
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		<-e.ready
		return e.idx, e.err
	}
	e := &cacheEntry{digest: digest, ready: make(chan struct{})}
	c.entries[digest] = e
	c.mu.Unlock()

	idx, err := load()
	c.mu.Lock()
	e.idx, e.err = idx, err
	if err != nil {
		delete(c.entries, digest)
	} else {
		c.insertLocked(e)
	}
	c.mu.Unlock()
	close(e.ready)
	return idx, err
}

// Put caches an index parsed elsewhere, such as while its repository was fetched.
func (c *Cache) Put(digest string, idx *Index) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[digest]; ok {
		return
	}
	e := &cacheEntry{digest: digest, ready: make(chan struct{}), idx: idx}
	close(e.ready)
	c.entries[digest] = e
	c.insertLocked(e)
}

// Len returns the number of cached indexes.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// insertLocked makes e the most recently used entry and evicts what exceeds the budget.
func (c *Cache) insertLocked(e *cacheEntry) {
	e.elem = c.lru.PushFront(e)
	c.used += e.idx.Size()
	for c.used > c.budget && c.lru.Len() > 1 {
		old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.entries, old.digest)
		c.used -= old.idx.Size()
	}
}
