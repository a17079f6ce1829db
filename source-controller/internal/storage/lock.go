package storage

import (
	"context"
	"fmt"
	"sync"
)

// locks is a set of per-object mutexes that are released from memory when
// nobody holds or waits for them.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

// lockEntry is one object's mutex: a channel with room for one token.
type lockEntry struct {
	token chan struct{}
	refs  int
}

// acquire waits until it holds the lock named key or ctx ends.
func (l *locks) acquire(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*lockEntry)
	}
	e, ok := l.m[key]
	if !ok {
		e = &lockEntry{token: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.token <- struct{}{}:
	case <-ctx.Done():
		l.release(key, e)
		return nil, fmt.Errorf("failed to lock artifacts of %s: %w", key, ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.token
			l.release(key, e)
		})
	}, nil
}

// release drops one reference to e and forgets it when it was the last.
func (l *locks) release(key string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, key)
	}
}

// size returns how many locks are held or waited for.
func (l *locks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
