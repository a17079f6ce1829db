package cloud

import (
	"testing"
	"time"
)

func TestCacheKeepsUntilShortlyBeforeExpiry(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c := NewCache(2, time.Hour)
	c.now = func() time.Time { return now }

	c.put("a", Login{Password: "a", Expiry: now.Add(30 * time.Minute)})
	c.put("long", Login{Password: "long", Expiry: now.Add(12 * time.Hour)})
	c.put("soon", Login{Password: "soon", Expiry: now.Add(4 * time.Minute)}) // inside the margin: not kept
	if c.Len() != 2 {
		t.Fatalf("kept %d entries, want 2", c.Len())
	}
	if l, ok := c.get("a"); !ok || l.Password != "a" {
		t.Fatalf("a: got %v %v", l, ok)
	}
	now = now.Add(25*time.Minute + time.Second) // past 30m - margin
	if _, ok := c.get("a"); ok {
		t.Fatal("a handed out within the margin of its expiry")
	}
	if _, ok := c.get("long"); !ok {
		t.Fatal("long dropped before the cache's maximum age")
	}
	now = now.Add(time.Hour)
	if _, ok := c.get("long"); ok {
		t.Fatal("long kept past the cache's maximum age")
	}
}

func TestCacheDropsTheFirstToExpireWhenFull(t *testing.T) {
	now := time.Now()
	c := NewCache(2, time.Hour)
	c.now = func() time.Time { return now }
	c.put("x", Login{Expiry: now.Add(40 * time.Minute)})
	c.put("y", Login{Expiry: now.Add(20 * time.Minute)})
	c.put("z", Login{Expiry: now.Add(50 * time.Minute)})
	if _, ok := c.get("y"); ok {
		t.Fatal("y, the first to expire, is still kept")
	}
	for _, k := range []string{"x", "z"} {
		if _, ok := c.get(k); !ok {
			t.Fatalf("%s dropped", k)
		}
	}
}

func TestNilAndEmptyCachesKeepNothing(t *testing.T) {
	var nilCache *Cache
	nilCache.put("a", Login{Expiry: time.Now().Add(time.Hour)})
	if _, ok := nilCache.get("a"); ok || nilCache.Len() != 0 {
		t.Fatal("a nil cache kept an entry")
	}
	zero := NewCache(0, time.Hour)
	zero.put("a", Login{Expiry: time.Now().Add(time.Hour)})
	if zero.Len() != 0 {
		t.Fatal("a cache of size 0 kept an entry")
	}
}
