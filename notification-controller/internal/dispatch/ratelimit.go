package dispatch

import (
	"sync"
	"time"
)

// limiter drops an event that repeats one sent to the same Alert within the window, as Flux
// rate-limits the events of an object (same object, message and metadata).
type limiter struct {
	now func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
	calls int
}

func newLimiter() *limiter {
	return &limiter{now: time.Now, until: map[string]time.Time{}}
}

// allow tells whether key may be sent now, and if so closes it for window.
func (l *limiter) allow(key string, window time.Duration) bool {
	if window <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.calls++; l.calls%4096 == 0 {
		for k, until := range l.until {
			if now.After(until) {
				delete(l.until, k)
			}
		}
	}
	if until, ok := l.until[key]; ok && now.Before(until) {
		return false
	}
	l.until[key] = now.Add(window)
	return true
}
