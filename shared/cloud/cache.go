package cloud

import (
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Defaults of the token cache, as Flux's --token-cache-max-size and
// --token-cache-max-duration.
const (
	// DefaultCacheSize is the number of logins and tokens kept.
	DefaultCacheSize = 100
	// DefaultCacheDuration is the longest a login or token is kept.
	DefaultCacheDuration = time.Hour
)

// expiryMargin is how long before its expiry a cached login is no longer handed out, so
// that a request never starts with a password about to expire.
const expiryMargin = 5 * time.Minute

// Cache keeps logins and tokens until shortly before they expire, at most maxAge, and at
// most size of them (the one expiring first is dropped for a new one). It also holds the
// controller's Azure credential, made once. It is safe for concurrent use; a nil Cache
// caches nothing.
type Cache struct {
	size   int
	maxAge time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]Login

	azureOnce sync.Once
	azure     azureIdentity
}

// azureIdentity is an Azure credential (the controller's, or a ServiceAccount's), or why
// there is none, and whose it is.
type azureIdentity struct {
	cred azcore.TokenCredential
	err  error
	name string
}

// NewCache returns a cache of at most size entries, each kept at most maxAge; size 0 keeps
// nothing (the Azure credential is still made once).
func NewCache(size int, maxAge time.Duration) *Cache {
	return &Cache{size: size, maxAge: maxAge, now: time.Now, entries: map[string]Login{}}
}

// get returns the entry of key while it has more than expiryMargin to live.
func (c *Cache) get(key string) (Login, bool) {
	if c == nil {
		return Login{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.entries[key]
	if !ok {
		return Login{}, false
	}
	if !c.now().Before(l.Expiry) {
		delete(c.entries, key)
		return Login{}, false
	}
	return l, true
}

// put keeps l under key until expiryMargin before it expires, and at most maxAge.
func (c *Cache) put(key string, l Login) {
	if c == nil || c.size <= 0 {
		return
	}
	keep := l
	until := c.now().Add(c.maxAge)
	if !l.Expiry.IsZero() && l.Expiry.Add(-expiryMargin).Before(until) {
		until = l.Expiry.Add(-expiryMargin)
	}
	if !until.After(c.now()) {
		return
	}
	keep.Expiry = until
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		c.evict()
	}
	c.entries[key] = keep
}

// evict drops the entry that expires first; c.mu is held.
func (c *Cache) evict() {
	first := ""
	for k, e := range c.entries {
		if first == "" || e.Expiry.Before(c.entries[first].Expiry) {
			first = k
		}
	}
	delete(c.entries, first)
}

// Len is the number of entries kept.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
